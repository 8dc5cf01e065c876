"""What moderators read of the notification queue: never a full address, never a body."""

from __future__ import annotations

from datetime import datetime

from disco.platform.wire import ApiModel

__all__ = ["NotificationList", "NotificationStep", "NotificationView"]


class NotificationStep(ApiModel):
    kind: str
    at: datetime
    attempt: int
    detail: str | None


class NotificationView(ApiModel):
    id: str
    channel: str
    priority: str
    status: str
    attempts: int
    recipient: str  # masked: enough to tell contacts apart, not to reach them
    user_id: str | None
    alert_id: str | None
    checkin_id: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    dead_lettered_at: datetime | None
    last_error: str | None
    trail: list[NotificationStep]


class NotificationList(ApiModel):
    notifications: list[NotificationView]
    total: int
    has_more: bool
