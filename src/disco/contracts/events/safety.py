"""Events the safety service publishes.

They say *that* something happened to whom, never where: locations, messages and contact details
stay sealed in the safety service's own tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from disco.contracts.events.base import Event

__all__ = [
    "AlertRaised",
    "AlertResolved",
    "CheckinEscalated",
    "ModerationAction",
    "ModerationActionTaken",
    "ReportFiled",
]

ModerationAction = Literal["warn", "suspend", "ban"]


class AlertRaised(Event):
    event_type = "safety.alert.raised"

    alert_id: str
    user_id: str
    alert_type: str


class AlertResolved(Event):
    """The alert ended: RESOLVED or CANCELLED. A duress cancel publishes nothing: it is not over."""

    event_type = "safety.alert.resolved"

    alert_id: str
    user_id: str
    status: Literal["RESOLVED", "CANCELLED"]


class CheckinEscalated(Event):
    """A check-in was missed (``MISSED``) or the app went silent during it (``SILENT``)."""

    event_type = "safety.checkin.escalated"

    checkin_id: str
    user_id: str
    reason: Literal["MISSED", "SILENT"]


class ReportFiled(Event):
    event_type = "safety.report.filed"

    report_id: str
    reporter_id: str
    reported_id: str
    reason: str


class ModerationActionTaken(Event):
    """The auth service enforces ``suspend`` (until ``until``) and ``ban``."""

    event_type = "safety.moderation.action_taken"

    user_id: str
    action: ModerationAction
    until: datetime | None = None
    report_id: str | None = None
