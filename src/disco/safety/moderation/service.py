"""The rules of reports and moderation: anyone reports someone else (evidence sealed); only
moderators see the queue, act on it and read trust scores. Never commits."""

from __future__ import annotations

import base64

from disco.contracts.events.realtime import RealtimePushed
from disco.contracts.events.safety import ModerationActionTaken, ReportFiled
from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork, new_id
from disco.platform.errors import Forbidden, NotFound, ValidationFailed
from disco.platform.franking import verify_opening
from disco.platform.security import Principal
from disco.safety.moderation.repository import ModerationRepository, ReportRow
from disco.safety.moderation.schemas import (
    ActionIn,
    ModerationReport,
    Report,
    ReportedMessage,
    ReportIn,
)
from disco.safety.ratings.schemas import TrustScore
from disco.safety.ratings.service import RatingsService

__all__ = ["ModerationService", "require_moderator"]

WARNING = "A moderator reviewed a report about you: please follow the community rules."


def require_moderator(who: Principal) -> None:
    if not who.is_moderator:
        raise Forbidden("Only moderators can do that.")


def _view(row: ReportRow) -> Report:
    return Report(
        id=row.id,
        user_id=row.reported_id,
        reason=row.reason,
        status=row.status,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class ModerationService:
    def __init__(self, ctx: ServiceContext, ratings: RatingsService) -> None:
        self._clock = ctx.clock
        self._cipher = ctx.cipher
        self._ratings = ratings
        self._franking_keys = ctx.cipher.derive_secrets("franking")

    # --- reporters ------------------------------------------------------------------------------
    async def file_report(self, uow: UnitOfWork, reporter_id: str, body: ReportIn) -> Report:
        if body.user_id == reporter_id:
            raise ValidationFailed(
                "You cannot report yourself.", details=[{"field": "userId", "message": "self"}]
            )
        now = self._clock.now()
        evidence = {
            "details": body.details,
            "message_ids": body.message_ids,
            "messages": [
                {
                    **m.model_dump(mode="json", by_alias=True, exclude_none=True),
                    "verified": self._verify(body.user_id, index, m),
                }
                for index, m in enumerate(body.messages)
            ],
        }
        row = ReportRow(
            id=new_id(),
            reporter_id=reporter_id,
            reported_id=body.user_id,
            reason=body.reason,
            sealed_evidence=self._cipher.encrypt_json(evidence),
            status="OPEN",
            created_at=now,
            updated_at=now,
        )
        await ModerationRepository(uow).add_report(
            **{name: getattr(row, name) for name in ReportRow.__dataclass_fields__}
        )
        await uow.publish(
            ReportFiled(
                report_id=row.id,
                reporter_id=reporter_id,
                reported_id=body.user_id,
                reason=body.reason,
            )
        )
        return _view(row)

    def _verify(self, reported_id: str, index: int, message: ReportedMessage) -> bool:
        """True if the message's franking opening proves ``reported_id`` sent it; False if it
        has none; ValidationFailed if it has one that does not verify (a forgery)."""
        if not message.has_opening:
            return False
        assert message.id and message.sent_at and message.room_id and message.server_tag
        assert message.franking_tag and message.franking_key and message.plaintext
        problem = verify_opening(
            self._franking_keys,
            franking_tag=message.franking_tag,
            server_tag_b64=message.server_tag,
            sender_id=reported_id,
            room_id=message.room_id,
            message_id=message.id,
            sent_at=message.sent_at,
            plaintext=base64.b64decode(message.plaintext),
            franking_key=base64.b64decode(message.franking_key),
        )
        if problem is not None:
            raise ValidationFailed(
                f"Message {index + 1} does not verify: {problem}.",
                details=[{"field": f"messages.{index}", "message": problem}],
            )
        return True

    async def my_reports(self, uow: UnitOfWork, reporter_id: str) -> list[Report]:
        return [_view(r) for r in await ModerationRepository(uow).reports_by(reporter_id)]

    async def my_report(self, uow: UnitOfWork, reporter_id: str, report_id: str) -> Report:
        row = await ModerationRepository(uow).report(report_id)
        if row is None or row.reporter_id != reporter_id:
            raise NotFound("No such report.")
        return _view(row)

    # --- moderators -----------------------------------------------------------------------------
    async def _moderation_view(self, uow: UnitOfWork, row: ReportRow) -> ModerationReport:
        evidence = self._cipher.decrypt_json(row.sealed_evidence)
        return ModerationReport(
            **_view(row).model_dump(),
            reporter_id=row.reporter_id,
            details=evidence["details"],
            message_ids=evidence["message_ids"],
            messages=evidence["messages"],
            actions=await ModerationRepository(uow).actions(row.id),
            reported_trust=await self._ratings.trust_of(uow, row.reported_id),
        )

    async def report_queue(
        self, uow: UnitOfWork, who: Principal, status: str | None, limit: int
    ) -> list[ModerationReport]:
        require_moderator(who)
        rows = await ModerationRepository(uow).report_queue(status, limit)
        return [await self._moderation_view(uow, r) for r in rows]

    async def act(
        self, uow: UnitOfWork, who: Principal, report_id: str, body: ActionIn
    ) -> ModerationReport:
        require_moderator(who)
        repo = ModerationRepository(uow)
        row = await repo.report(report_id)
        if row is None:
            raise NotFound("No such report.")
        now = self._clock.now()
        if body.action == "suspend" and (body.until is None or body.until <= now):
            raise ValidationFailed(
                "A suspension needs an end in the future.",
                details=[{"field": "until", "message": "required, in the future"}],
            )
        until = body.until if body.action == "suspend" else None
        await repo.add_action(
            id=new_id(),
            report_id=report_id,
            moderator_id=who.user_id,
            user_id=row.reported_id,
            action=body.action,
            note=body.note,
            until=until,
            created_at=now,
        )
        await repo.set_report_status(report_id, "ACTIONED", now)
        await uow.publish(
            ModerationActionTaken(
                user_id=row.reported_id, action=body.action, until=until, report_id=report_id
            )
        )
        if body.action == "warn":
            await uow.publish(
                RealtimePushed(
                    user_ids=[row.reported_id],
                    frame_type="notification",
                    data={"kind": "moderation_warning", "body": WARNING},
                )
            )
        updated = await repo.report(report_id)
        assert updated is not None
        return await self._moderation_view(uow, updated)

    async def trust(self, uow: UnitOfWork, who: Principal, user_id: str) -> TrustScore:
        require_moderator(who)
        return await self._ratings.trust_of(uow, user_id)

    async def erase_user(self, uow: UnitOfWork, user_id: str) -> None:
        await ModerationRepository(uow).erase_user(user_id)
