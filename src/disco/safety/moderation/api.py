"""Thin endpoints of reports (anyone's own) and of moderation (moderators only)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, status

from disco.platform.api import CurrentPrincipal, Uow, from_state
from disco.safety.moderation.schemas import (
    ActionIn,
    ModerationReport,
    ModerationReports,
    Report,
    ReportIn,
    Reports,
)
from disco.safety.moderation.service import ModerationService
from disco.safety.ratings.schemas import TrustScore
from disco.safety.schemas import ResourceId

router = APIRouter(prefix="/v1/safety", tags=["safety"])

Service = Annotated[ModerationService, Depends(from_state("moderation"))]


@router.post("/reports", status_code=status.HTTP_201_CREATED)
async def file_report(
    body: ReportIn, principal: CurrentPrincipal, moderation: Service, uow: Uow
) -> Report:
    return await moderation.file_report(uow, principal.user_id, body)


@router.get("/reports")
async def my_reports(principal: CurrentPrincipal, moderation: Service, uow: Uow) -> Reports:
    return Reports(reports=await moderation.my_reports(uow, principal.user_id))


@router.get("/reports/{report_id}")
async def my_report(
    report_id: ResourceId, principal: CurrentPrincipal, moderation: Service, uow: Uow
) -> Report:
    return await moderation.my_report(uow, principal.user_id, report_id)


@router.get("/moderation/reports")
async def report_queue(
    principal: CurrentPrincipal,
    moderation: Service,
    uow: Uow,
    status: Annotated[Literal["OPEN", "ACTIONED"] | None, Query()] = "OPEN",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ModerationReports:
    reports = await moderation.report_queue(uow, principal, status, limit)
    return ModerationReports(reports=reports)


@router.post("/moderation/reports/{report_id}/actions")
async def act(
    report_id: ResourceId,
    body: ActionIn,
    principal: CurrentPrincipal,
    moderation: Service,
    uow: Uow,
) -> ModerationReport:
    return await moderation.act(uow, principal, report_id, body)


@router.get("/moderation/users/{user_id}/trust")
async def trust(
    user_id: ResourceId, principal: CurrentPrincipal, moderation: Service, uow: Uow
) -> TrustScore:
    return await moderation.trust(uow, principal, user_id)
