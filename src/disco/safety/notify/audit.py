"""What moderators read of a notification: its state and trail, the recipient masked."""

from __future__ import annotations

from disco.platform.security import FieldCipher
from disco.safety.notify.message import Priority
from disco.safety.notify.repository import EventRow, NotificationRow
from disco.safety.notify.schemas import NotificationStep, NotificationView

__all__ = ["mask_recipient", "notification_view"]


def mask_recipient(channel: str, recipient: str) -> str:
    """``a***@example.com``, ``+1******4567``, ``ab12***``; in-app user ids are not secret."""
    if channel == "in_app":
        return recipient
    if channel == "email":
        local, _, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    if channel == "sms":
        return recipient[:2] + "*" * max(len(recipient) - 6, 0) + recipient[-4:]
    return recipient[:4] + "***"


def notification_view(
    cipher: FieldCipher, row: NotificationRow, trail: list[EventRow]
) -> NotificationView:
    def unseal(sealed: str | None) -> str | None:
        return None if sealed is None else cipher.decrypt(sealed)

    recipient = str(cipher.decrypt_json(row.content_sealed)["recipient"])
    waiting = row.status in ("queued", "sending")
    return NotificationView(
        id=row.id,
        channel=row.channel,
        priority=Priority(row.priority).name,
        status=row.status,
        attempts=row.attempts,
        recipient=mask_recipient(row.channel, recipient),
        user_id=row.user_id,
        alert_id=row.alert_id,
        checkin_id=row.checkin_id,
        created_at=row.created_at,
        next_attempt_at=row.due_at if waiting else None,
        sent_at=row.sent_at,
        dead_lettered_at=row.dead_lettered_at,
        last_error=unseal(row.last_error_sealed),
        trail=[
            NotificationStep(
                kind=e.kind, at=e.at, attempt=e.attempt, detail=unseal(e.detail_sealed)
            )
            for e in trail
        ],
    )
