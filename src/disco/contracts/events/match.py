"""Events the match service publishes.

Never a position: stored events are on disk (outbox rows, broker queues), and where a user was
must not be (DESIGN.md section 6). Who and when only.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from disco.contracts.events.base import Event

__all__ = [
    "CandidateChanged",
    "ConnectionRequested",
    "DiscoveryChanged",
    "MatchCreated",
    "MatchEnded",
]


class DiscoveryChanged(Event):
    """The user switched discovery mode on (until ``until``, or until switched off) or off."""

    event_type = "match.discovery.changed"

    user_id: str
    enabled: bool
    until: datetime | None = None


class CandidateChanged(Event):
    """What the match service knows of a user for matching changed and is committed: every
    match process drops its cached copy (published after the change, so none reloads a stale
    one)."""

    event_type = "match.candidate.changed"

    user_id: str


class ConnectionRequested(Event):
    """``requester_id`` expressed interest in ``recipient_id`` (who may accept or decline)."""

    event_type = "match.connection.requested"

    connection_id: str
    requester_id: str
    recipient_id: str


class MatchCreated(Event):
    """Mutual interest: the pair is matched. Opens their chat."""

    event_type = "match.created"

    match_id: str
    user_ids: list[str] = Field(min_length=2, max_length=2)
    # Each one's first name as match knows it: the chat shows names from its first moment,
    # whatever its own copy of the users' profiles has caught up with.
    first_names: dict[str, str] = Field(default_factory=dict)


class MatchEnded(Event):
    """Unmatched (or one of the pair deleted their account). Closes their chat."""

    event_type = "match.ended"

    match_id: str
    user_ids: list[str] = Field(min_length=2, max_length=2)
