"""Asking the safety service to tell someone something: the one notification path.

Every mail, SMS, push and in-app message leaves through safety's durable dispatch (DESIGN.md
§2): a service publishes ``<service>.notification.requested`` in the transaction that made the
news, and safety's consumer queues it (durable, retried, deduplicated by ``dedupe_key``,
audited). Each service has its own event type, so the topic says who asked; the fields are
one shape, ``NotificationRequest``.

An address (an email, a phone number) travels sealed with the field cipher: outbox rows and
broker messages are stored. A push or in-app message names the user, whose devices safety
knows.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from disco.contracts.events.base import Event

__all__ = [
    "ChatNotificationRequested",
    "NotificationRequest",
]

Channel = Literal["email", "sms", "push", "in_app"]
Priority = Literal["emergency", "safety", "routine", "marketing"]


class NotificationRequest(Event):
    """The shape every ``*.notification.requested`` event shares."""

    dedupe_key: str = Field(min_length=1, max_length=160)
    channel: Channel
    priority: Priority = "routine"
    user_id: str  # whom it is about (the audit trail, and erasure on account deletion)
    # email and sms: the address, sealed; push and in_app: None (the user's own devices).
    sealed_address: str | None = None
    subject: str
    body: str = ""
    data: dict[str, Any] = Field(default_factory=dict)
    frame_type: str = "notification"


class ChatNotificationRequested(NotificationRequest):
    """A message for someone with no open socket: a push without any content."""

    event_type = "chat.notification.requested"
