"""Thin endpoints: resolve dependencies (the unit of work among them), call one service method."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, status

from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.safety.schemas import (
    ID_PATTERN,
    ActionIn,
    Alert,
    AlertIn,
    Alerts,
    CancelIn,
    Checkin,
    CheckinIn,
    Checkins,
    DeviceIn,
    HeartbeatIn,
    LiveView,
    LocationIn,
    MeetingSpots,
    ModerationReport,
    ModerationReports,
    PinIn,
    Rating,
    RatingIn,
    Report,
    ReportIn,
    Reports,
    ResolveIn,
    SafetyContacts,
    TrustScore,
)
from disco.safety.service import SafetyService

router = APIRouter(prefix="/v1/safety", tags=["safety"])

Service = Annotated[SafetyService, Depends(from_state("service"))]
# Path ids: anything else cannot name a row (and a NUL would upset PostgreSQL).
ResourceId = Annotated[str, Path(pattern=ID_PATTERN)]
CREATED = status.HTTP_201_CREATED
NO_CONTENT = status.HTTP_204_NO_CONTENT


# --- PIN ------------------------------------------------------------------------------------------
@router.put("/pin", status_code=NO_CONTENT)
async def set_pin(body: PinIn, principal: CurrentPrincipal, safety: Service, uow: Uow) -> None:
    await safety.set_pin(uow, principal.user_id, body)


@router.get("/contacts")
async def contacts(principal: CurrentPrincipal, safety: Service, uow: Uow) -> SafetyContacts:
    return await safety.contacts(uow, principal.user_id)


DeviceId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


@router.put("/devices/{device_id}", status_code=NO_CONTENT)
async def put_device(
    device_id: DeviceId, body: DeviceIn, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> None:
    """A phone's push token (the app picks a stable id per installation)."""
    await safety.put_device(uow, principal.user_id, device_id, body.push_token)


@router.delete("/devices/{device_id}", status_code=NO_CONTENT)
async def remove_device(
    device_id: DeviceId, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> None:
    await safety.remove_device(uow, principal.user_id, device_id)


# --- alerts ---------------------------------------------------------------------------------------
@router.post("/alerts", status_code=CREATED)
async def raise_alert(
    body: AlertIn, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> Alert:
    return await safety.raise_alert(uow, principal.user_id, body)


@router.get("/alerts")
async def alerts(
    principal: CurrentPrincipal,
    safety: Service,
    uow: Uow,
    scope: Annotated[Literal["mine", "moderation"], Query()] = "mine",
) -> Alerts:
    return Alerts(alerts=await safety.alerts(uow, principal, scope == "moderation"))


@router.get("/alerts/{alert_id}")
async def alert(
    alert_id: ResourceId, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> Alert:
    return await safety.alert(uow, principal, alert_id)


@router.post("/alerts/{alert_id}/location")
async def add_location(
    alert_id: ResourceId, body: LocationIn, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> Alert:
    return await safety.add_location(uow, principal.user_id, alert_id, body)


@router.post("/alerts/{alert_id}/resolve")
async def resolve(
    alert_id: ResourceId,
    principal: CurrentPrincipal,
    safety: Service,
    uow: Uow,
    body: Annotated[ResolveIn | None, Body()] = None,
) -> Alert:
    """The owner resolves with their PIN (the duress PIN works as for cancel); a moderator
    needs none."""
    pin = body.pin if body else None
    return await safety.end_alert(uow, principal, alert_id, "RESOLVED", pin)


@router.post("/alerts/{alert_id}/cancel")
async def cancel(
    alert_id: ResourceId, body: CancelIn, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> Alert:
    return await safety.end_alert(uow, principal, alert_id, "CANCELLED", body.pin)


@router.get("/live/{token}")
async def live(
    token: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,128}$")], safety: Service, uow: Uow
) -> LiveView:
    """No account needed: the long random token in the link is the permission."""
    return await safety.live_view(uow, token)


# --- check-ins ------------------------------------------------------------------------------------
@router.post("/checkins", status_code=CREATED)
async def schedule_checkin(
    body: CheckinIn, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> Checkin:
    return await safety.schedule_checkin(uow, principal.user_id, body)


@router.get("/checkins")
async def checkins(principal: CurrentPrincipal, safety: Service, uow: Uow) -> Checkins:
    return Checkins(checkins=await safety.checkins(uow, principal.user_id))


@router.post("/checkins/{checkin_id}/confirm")
async def confirm_checkin(
    checkin_id: ResourceId, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> Checkin:
    return await safety.confirm_checkin(uow, principal.user_id, checkin_id)


@router.post("/checkins/{checkin_id}/heartbeat")
async def heartbeat(
    checkin_id: ResourceId,
    principal: CurrentPrincipal,
    safety: Service,
    uow: Uow,
    body: Annotated[HeartbeatIn | None, Body()] = None,
) -> Checkin:
    location = body.location if body else None
    return await safety.heartbeat(uow, principal.user_id, checkin_id, location)


@router.post("/checkins/{checkin_id}/cancel")
async def cancel_checkin(
    checkin_id: ResourceId, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> Checkin:
    return await safety.cancel_checkin(uow, principal.user_id, checkin_id)


# --- reports and moderation -----------------------------------------------------------------------
@router.post("/reports", status_code=CREATED)
async def file_report(
    body: ReportIn, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> Report:
    return await safety.file_report(uow, principal.user_id, body)


@router.get("/reports")
async def my_reports(principal: CurrentPrincipal, safety: Service, uow: Uow) -> Reports:
    return Reports(reports=await safety.my_reports(uow, principal.user_id))


@router.get("/reports/{report_id}")
async def my_report(
    report_id: ResourceId, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> Report:
    return await safety.my_report(uow, principal.user_id, report_id)


@router.get("/moderation/reports")
async def report_queue(
    principal: CurrentPrincipal,
    safety: Service,
    uow: Uow,
    status: Annotated[Literal["OPEN", "ACTIONED"] | None, Query()] = "OPEN",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ModerationReports:
    return ModerationReports(reports=await safety.report_queue(uow, principal, status, limit))


@router.post("/moderation/reports/{report_id}/actions")
async def act(
    report_id: ResourceId, body: ActionIn, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> ModerationReport:
    return await safety.act(uow, principal, report_id, body)


@router.get("/moderation/users/{user_id}/trust")
async def trust(
    user_id: ResourceId, principal: CurrentPrincipal, safety: Service, uow: Uow
) -> TrustScore:
    return await safety.trust(uow, principal, user_id)


# --- ratings and meeting spots --------------------------------------------------------------------
@router.post("/ratings", status_code=CREATED)
async def rate(body: RatingIn, principal: CurrentPrincipal, safety: Service, uow: Uow) -> Rating:
    return await safety.rate(uow, principal.user_id, body)


@router.get("/meeting-spots")
async def meeting_spots(
    principal: CurrentPrincipal,
    safety: Service,
    uow: Uow,
    match_id: Annotated[str, Query(alias="matchId", pattern=ID_PATTERN)],
    latitude: Annotated[float, Query(ge=-90, le=90)],
    longitude: Annotated[float, Query(ge=-180, le=180)],
) -> MeetingSpots:
    """The caller's own position, which only its ~500 m cell is kept of (see the service)."""
    return await safety.meeting_spots(uow, principal.user_id, match_id, latitude, longitude)
