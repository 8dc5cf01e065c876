"""Requests and responses of connections and matches. Never a coordinate: a bucket at most."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from disco.platform.wire import ApiModel, RequestModel

__all__ = ["USER_ID", "Connection", "ConnectionIn", "Connections", "Match", "MatchPage"]

# Ids are UUIDs; anything else is bad input, not a lookup.
USER_ID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class ConnectionIn(RequestModel):
    user_id: str = Field(pattern=USER_ID)


class Connection(ApiModel):
    """One request as the caller sees it. A request the other declined still reads
    ``pending`` to its sender: a decline is never announced."""

    id: str
    user_id: str  # the other person
    name: str
    direction: Literal["incoming", "outgoing"]
    status: Literal["pending", "declined", "accepted"]
    requested_at: datetime
    match_id: str | None = None  # once accepted: the match (and its chat)


class Connections(ApiModel):
    connections: list[Connection]


class Match(ApiModel):
    id: str
    user_id: str
    name: str
    bio: str | None
    profile_image: str | None
    distance: str | None  # a bucket label ("within 500 ft"); None unless both are present
    shared_interests: list[str]


class MatchPage(ApiModel):
    matches: list[Match]
    total: int
    has_more: bool
