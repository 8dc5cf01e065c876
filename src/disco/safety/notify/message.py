"""What the domain asks to send (``Notification``) and what a channel is handed (``Outgoing``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Literal, get_args

__all__ = ["CHANNELS", "Channel", "Notification", "Outgoing", "Priority"]

Channel = Literal["email", "sms", "push", "in_app"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)


class Priority(IntEnum):
    """Lower goes first. EMERGENCY and SAFETY are retried for as long as a send could succeed."""

    EMERGENCY = 0
    SAFETY = 1
    ROUTINE = 2
    MARKETING = 3

    @property
    def never_dropped(self) -> bool:
        return self <= Priority.SAFETY


@dataclass(frozen=True, slots=True)
class Notification:
    """One message to one recipient on one channel.

    ``dedupe_key`` names the notification in the domain's terms (say
    ``alert:{alert_id}:contact:{contact_id}:sms``): enqueueing the same key twice sends once.
    ``recipient`` is an email address, a phone number (as users store it: spaces, dashes and
    brackets are dropped before it goes to the provider), a push token, or (in_app) a user
    id. ``user_id``, ``alert_id`` and ``checkin_id`` are the audit context moderators filter
    by and account deletion erases by; ``frame_type`` is the socket frame an in-app one becomes.
    """

    dedupe_key: str
    priority: Priority
    channel: Channel
    recipient: str
    subject: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)
    user_id: str | None = None
    alert_id: str | None = None
    checkin_id: str | None = None
    frame_type: str = "notification"

    def __post_init__(self) -> None:
        # Mistakes in our own code surface at once. A recipient address the provider cannot
        # use is not refused here, where it would fail the alert being raised with it: it is
        # queued and dead-lettered as undeliverable, where moderators see it.
        if not 0 < len(self.dedupe_key) <= 200:
            raise ValueError("dedupe_key must be 1 to 200 characters")
        if self.channel not in CHANNELS:
            raise ValueError(f"unknown channel {self.channel!r}")
        if not self.recipient.strip():
            raise ValueError("a notification needs a recipient")

    @property
    def recipient_user_id(self) -> str | None:
        return self.recipient if self.channel == "in_app" else None


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A notification as a channel sends it; ``id`` doubles as the provider's idempotency key."""

    id: str
    channel: Channel
    recipient: str
    subject: str
    body: str
    data: dict[str, Any]
    frame_type: str
