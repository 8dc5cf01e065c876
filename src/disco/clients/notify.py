"""Asking safety to send a notification: the one way every service sends mail, SMS, push or
in-app messages (see ``disco.contracts.events.notifications``).

    await request_notification(
        uow, ctx.cipher, UsersNotificationRequested,
        dedupe_key=f"contact:{contact_id}:confirm:{n}", channel="email", priority="safety",
        user_id=user_id, address=email, subject=..., body=...,
    )

It is published in the caller's unit of work, so it is sent if and only if the change that
asked for it commits, and it survives any crash after that.
"""

from __future__ import annotations

from typing import Any

from disco.contracts.events.notifications import (
    Channel,
    NotificationContent,
    NotificationRequest,
    Priority,
)
from disco.platform.db import UnitOfWork
from disco.platform.security import FieldCipher

__all__ = ["request_notification"]


async def request_notification(
    uow: UnitOfWork,
    cipher: FieldCipher,
    kind: type[NotificationRequest],
    *,
    dedupe_key: str,
    channel: Channel,
    user_id: str,
    subject: str,
    body: str = "",
    address: str | None = None,
    data: dict[str, Any] | None = None,
    priority: Priority = "routine",
    frame_type: str = "notification",
) -> None:
    if (address is None) != (channel in ("push", "in_app")):
        raise ValueError(
            f"an {channel} notification {'needs' if address is None else 'takes no'} address"
        )
    content = NotificationContent(address=address, subject=subject, body=body, data=data or {})
    await uow.publish(
        kind(
            dedupe_key=dedupe_key,
            channel=channel,
            priority=priority,
            user_id=user_id,
            sealed=cipher.encrypt(content.model_dump_json()),
            frame_type=frame_type,
        )
    )
