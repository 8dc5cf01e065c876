"""Safety's share of a person's data export (the users service assembles the whole): their
alerts with the trails still kept, their check-ins with place and note, the reports they filed,
and the contacts safety knows for them. Reports filed against them are not theirs to read
(they would name the reporter); moderators' actions on their account reach them as notices."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from disco.platform.api import Uow, from_state
from disco.safety.alerts.service import AlertsService
from disco.safety.checkins.service import CheckinsService
from disco.safety.moderation.service import ModerationService
from disco.safety.people.service import PeopleService
from disco.safety.schemas import ID_PATTERN

__all__ = ["internal"]

internal = APIRouter(prefix="/safety", include_in_schema=False)


def _json(items: list[Any]) -> list[Any]:
    return [item.model_dump(mode="json", by_alias=True) for item in items]


@internal.get("/users/{user_id}/export")
async def export(
    user_id: Annotated[str, Path(pattern=ID_PATTERN)],
    uow: Uow,
    alerts: Annotated[AlertsService, Depends(from_state("alerts"))],
    checkins: Annotated[CheckinsService, Depends(from_state("checkins"))],
    moderation: Annotated[ModerationService, Depends(from_state("moderation"))],
    people: Annotated[PeopleService, Depends(from_state("people"))],
) -> dict[str, Any]:
    return {
        "alerts": await alerts.export(uow, user_id),
        "checkins": _json(await checkins.checkins(uow, user_id)),
        "reportsFiled": _json(await moderation.my_reports(uow, user_id)),
        "contacts": (await people.contacts(uow, user_id)).model_dump(mode="json", by_alias=True)[
            "contacts"
        ],
    }
