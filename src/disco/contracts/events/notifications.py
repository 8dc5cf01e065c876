"""Asking the safety service to tell someone something: the one notification path.

Every mail, SMS, push and in-app message leaves through safety's durable dispatch (DESIGN.md
§2): a service publishes ``<service>.notification.requested`` in the transaction that made the
news (``disco.clients.notify.request_notification`` writes it), and safety's consumer queues it:
durable, retried, deduplicated by ``dedupe_key``, audited. Each service has its own event type,
so the topic says who asked; they share one shape, ``NotificationRequest``.

The message itself (address, subject, body, data) travels sealed with the field cipher: outbox
rows and broker messages are stored, and a body may hold a one-time link. A push or in-app
message has no address: it goes to the devices and sockets of ``user_id``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from disco.contracts.events.base import Event

__all__ = [
    "AuthNotificationRequested",
    "Channel",
    "ChatNotificationRequested",
    "NotificationContent",
    "NotificationRequest",
    "Priority",
    "UsersNotificationRequested",
]

Channel = Literal["email", "sms", "push", "in_app"]
Priority = Literal["emergency", "safety", "routine", "marketing"]


class NotificationContent(BaseModel):
    """What is sealed into ``NotificationRequest.sealed``."""

    address: str | None = None  # email and sms; None for push and in_app
    subject: str
    body: str = ""
    data: dict[str, Any] = Field(default_factory=dict)


class NotificationRequest(Event):
    """The shape every ``*.notification.requested`` event shares."""

    dedupe_key: str = Field(min_length=1, max_length=160)
    channel: Channel
    priority: Priority = "routine"
    user_id: str  # whom it concerns: the audit trail, and erasure when the account goes
    sealed: str  # NotificationContent, sealed with the field cipher
    frame_type: str = "notification"


class AuthNotificationRequested(NotificationRequest):
    """Email verification and password reset mails."""

    event_type = "auth.notification.requested"


class UsersNotificationRequested(NotificationRequest):
    """Emergency-contact confirmation mails."""

    event_type = "users.notification.requested"


class ChatNotificationRequested(NotificationRequest):
    """A message for someone with no open socket: a push without any content."""

    event_type = "chat.notification.requested"
