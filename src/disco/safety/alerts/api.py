"""Thin endpoints of alerts, their live view, and the PINs that end them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, status

from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.safety.alerts.pins import Pins
from disco.safety.alerts.schemas import (
    Alert,
    AlertIn,
    Alerts,
    CancelIn,
    LiveView,
    PinIn,
    PinState,
    ResolveIn,
)
from disco.safety.alerts.service import AlertsService
from disco.safety.replays import IdempotencyKey
from disco.safety.schemas import LocationIn, ResourceId

router = APIRouter(prefix="/v1/safety", tags=["safety"])

Service = Annotated[AlertsService, Depends(from_state("alerts"))]
PinService = Annotated[Pins, Depends(from_state("pins"))]
LiveToken = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,128}$")]


@router.get("/pin")
async def pin_state(principal: CurrentPrincipal, pins: PinService, uow: Uow) -> PinState:
    """Whether the caller has a PIN to end an alert with (an app says so before an alert)."""
    return PinState(set=await pins.is_set(uow, principal.user_id))


@router.put("/pin", status_code=status.HTTP_204_NO_CONTENT)
async def set_pin(body: PinIn, principal: CurrentPrincipal, pins: PinService, uow: Uow) -> None:
    await pins.set_pin(uow, principal.user_id, body)


@router.post("/alerts", status_code=status.HTTP_201_CREATED)
async def raise_alert(
    body: AlertIn,
    principal: CurrentPrincipal,
    alerts: Service,
    uow: Uow,
    idempotency_key: IdempotencyKey = None,
) -> Alert:
    return await alerts.raise_alert(uow, principal.user_id, body, idempotency_key)


@router.get("/alerts")
async def alerts(
    principal: CurrentPrincipal,
    service: Service,
    uow: Uow,
    scope: Annotated[Literal["mine", "moderation"], Query()] = "mine",
) -> Alerts:
    return Alerts(alerts=await service.alerts(uow, principal, scope == "moderation"))


@router.get("/alerts/{alert_id}")
async def alert(
    alert_id: ResourceId, principal: CurrentPrincipal, alerts: Service, uow: Uow
) -> Alert:
    return await alerts.alert(uow, principal, alert_id)


@router.post("/alerts/{alert_id}/location")
async def add_location(
    alert_id: ResourceId, body: LocationIn, principal: CurrentPrincipal, alerts: Service, uow: Uow
) -> Alert:
    return await alerts.add_location(uow, principal.user_id, alert_id, body)


@router.post("/alerts/{alert_id}/resolve")
async def resolve(
    alert_id: ResourceId,
    principal: CurrentPrincipal,
    alerts: Service,
    uow: Uow,
    body: Annotated[ResolveIn | None, Body()] = None,
) -> Alert:
    """The owner resolves with their PIN (the duress PIN works as for cancel); a moderator
    needs none."""
    pin = body.pin if body else None
    return await alerts.end_alert(uow, principal, alert_id, "RESOLVED", pin)


@router.post("/alerts/{alert_id}/cancel")
async def cancel(
    alert_id: ResourceId, body: CancelIn, principal: CurrentPrincipal, alerts: Service, uow: Uow
) -> Alert:
    return await alerts.end_alert(uow, principal, alert_id, "CANCELLED", body.pin)


@router.get("/live/{token}")
async def live(token: LiveToken, alerts: Service, uow: Uow) -> LiveView:
    """No account needed: the long random token in the link is the permission."""
    return await alerts.live_view(uow, token)
