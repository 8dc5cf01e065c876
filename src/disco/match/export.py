"""Match's share of a person's data export (the users service assembles the whole): their
connections and matches (who, which way, when) and the local events they host or joined.
Discovery locations are not in it because they are never stored."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path

from disco.match.connections.repository import ConnectionsRepository
from disco.match.local_events.repository import LocalEventsRepository
from disco.platform.api import Uow

__all__ = ["internal"]

internal = APIRouter(prefix="/match", include_in_schema=False)
_EVER = datetime(1970, 1, 1, tzinfo=UTC)


@internal.get("/users/{user_id}/export")
async def export(
    user_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")], uow: Uow
) -> dict[str, Any]:
    connections = await ConnectionsRepository(uow).of_user(user_id)
    events = await LocalEventsRepository(uow).upcoming_of(user_id, _EVER)
    return {
        "connections": [
            {
                "id": row.id,
                "direction": "sent" if row.requester_id == user_id else "received",
                "otherUserId": row.other(user_id),
                "status": row.status,
                "requestedAt": row.requested_at.isoformat(),
                "matchedAt": row.matched_at.isoformat() if row.matched_at else None,
            }
            for row in connections
        ],
        "localEvents": [
            {
                "id": event.id,
                "role": "host" if event.host_id == user_id else "attendee",
                "title": event.title,
                "description": event.description,
                "place": event.place,
                "latitude": event.latitude,
                "longitude": event.longitude,
                "startsAt": event.starts_at.isoformat(),
                "endsAt": event.ends_at.isoformat(),
            }
            for event in events
        ],
    }
