"""Bus consumers of the match service's discovery side.

- ``on_users_event``: the projection of ``users.*`` events that matching reads, idempotent
  through the inbox (one consumer group: each event is applied once, by one process);
- ``on_candidate_changed``: a broadcast, so every match process drops its cached copy of a
  user once a change is committed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from disco.contracts.events.match import CandidateChanged
from disco.contracts.events.users import (
    BlockAdded,
    BlockRemoved,
    PreferencesUpdated,
    PrivacyZoneAdded,
    PrivacyZoneRemoved,
    ProfileUpdated,
    UserDeactivated,
    UserDeleted,
    UserReactivated,
)
from disco.match import models
from disco.match.connections.service import erase_user_connections
from disco.match.discovery.projection import UsersProjection
from disco.match.discovery.service import DiscoveryService
from disco.match.local_events.service import erase_user_local_events
from disco.platform.bus import Envelope, Handler
from disco.platform.bus.erasure import guarded
from disco.platform.bus.inbox import idempotent
from disco.platform.db import Database, UnitOfWork

__all__ = ["USERS_EVENTS", "on_candidate_changed", "on_users_event"]

Apply = Callable[[UsersProjection, UnitOfWork, Envelope], Awaitable[None]]


async def _profile(projection: UsersProjection, uow: UnitOfWork, envelope: Envelope) -> None:
    event = ProfileUpdated.model_validate(envelope.payload)
    await projection.apply_profile(uow, event, envelope.occurred_at)


async def _preferences(projection: UsersProjection, uow: UnitOfWork, envelope: Envelope) -> None:
    event = PreferencesUpdated.model_validate(envelope.payload)
    await projection.apply_preferences(uow, event, envelope.occurred_at)


async def _zone_added(projection: UsersProjection, uow: UnitOfWork, envelope: Envelope) -> None:
    await projection.apply_zone_added(uow, PrivacyZoneAdded.model_validate(envelope.payload))


async def _zone_removed(projection: UsersProjection, uow: UnitOfWork, envelope: Envelope) -> None:
    await projection.apply_zone_removed(uow, PrivacyZoneRemoved.model_validate(envelope.payload))


async def _block_added(projection: UsersProjection, uow: UnitOfWork, envelope: Envelope) -> None:
    await projection.apply_block_added(uow, BlockAdded.model_validate(envelope.payload))


async def _block_removed(projection: UsersProjection, uow: UnitOfWork, envelope: Envelope) -> None:
    await projection.apply_block_removed(uow, BlockRemoved.model_validate(envelope.payload))


async def _deactivated(projection: UsersProjection, uow: UnitOfWork, envelope: Envelope) -> None:
    event = UserDeactivated.model_validate(envelope.payload)
    await projection.apply_deactivated(uow, event.user_id, envelope.occurred_at)


async def _reactivated(projection: UsersProjection, uow: UnitOfWork, envelope: Envelope) -> None:
    await projection.apply_reactivated(
        uow, UserReactivated.model_validate(envelope.payload).user_id
    )


async def _deleted(projection: UsersProjection, uow: UnitOfWork, envelope: Envelope) -> None:
    user_id = UserDeleted.model_validate(envelope.payload).user_id
    await projection.apply_deleted(uow, user_id)
    await erase_user_connections(uow, user_id)
    await erase_user_local_events(uow, user_id)


_APPLY: dict[str, Apply] = {
    ProfileUpdated.event_type: _profile,
    PreferencesUpdated.event_type: _preferences,
    PrivacyZoneAdded.event_type: _zone_added,
    PrivacyZoneRemoved.event_type: _zone_removed,
    BlockAdded.event_type: _block_added,
    BlockRemoved.event_type: _block_removed,
    UserDeactivated.event_type: _deactivated,
    UserReactivated.event_type: _reactivated,
    UserDeleted.event_type: _deleted,
}
USERS_EVENTS = sorted(_APPLY)
# Changes after which the user may fit someone already in range.
_FIT_MAY_CHANGE = {
    ProfileUpdated.event_type,
    PreferencesUpdated.event_type,
    UserReactivated.event_type,
}


def _bound(
    projection: UsersProjection, apply: Apply
) -> Callable[[UnitOfWork, Envelope], Awaitable[None]]:
    async def run(uow: UnitOfWork, envelope: Envelope) -> None:
        await apply(projection, uow, envelope)

    return run


def on_users_event(db: Database, service: DiscoveryService) -> Handler:
    """One subscription for the whole projection (a consumer group takes one set of patterns),
    each event type recorded in the inbox under its own handler name."""
    handlers = {
        event_type: idempotent(
            db,
            models.inbox,
            f"match.on_{event_type.removeprefix('users.').replace('.', '_')}",
            # Nothing about an erased account comes back (platform/bus/erasure.py).
            guarded(models.erased_users, event_type, _bound(service.projection, apply)),
        )
        for event_type, apply in _APPLY.items()
    }

    async def handle(envelope: Envelope) -> None:
        await handlers[envelope.type](envelope)
        if envelope.type in _FIT_MAY_CHANGE:
            # Committed: a pair in range that fits now is told without waiting to part.
            await service.reconsider(str(envelope.payload["user_id"]))

    return handle


def on_candidate_changed(service: DiscoveryService) -> Handler:
    async def handle(envelope: Envelope) -> None:
        service.members.drop(CandidateChanged.model_validate(envelope.payload).user_id)

    return handle
