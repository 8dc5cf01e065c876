"""Every SQL statement of the match service's discovery tables."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, delete, or_, select, tuple_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from disco.match import models as m
from disco.platform.db import UnitOfWork
from disco.platform.repository import Repository

__all__ = [
    "BlockRow",
    "DiscoveryRow",
    "DiscoveryTables",
    "MemberRows",
    "PreferencesRow",
    "ProfileRow",
    "ZoneRow",
]


@dataclass(frozen=True, slots=True)
class DiscoveryRow:
    enabled: bool
    until: datetime | None


@dataclass(frozen=True, slots=True)
class ProfileRow:
    first_name: str
    interests: list[str]
    activities: list[str]
    mode: str
    birth_date: date | None


@dataclass(frozen=True, slots=True)
class PreferencesRow:
    radius_meters: int
    time_windows: list[dict[str, Any]]
    age_min: int | None
    age_max: int | None
    professional_only: bool


@dataclass(frozen=True, slots=True)
class ZoneRow:
    sealed_area: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class BlockRow:
    blocker: str
    blocked: str
    until: datetime | None


@dataclass(frozen=True, slots=True)
class MemberRows:
    """Everything matching needs of one user, read together."""

    discovery: DiscoveryRow | None
    profile: ProfileRow | None
    preferences: PreferencesRow | None
    zones: list[ZoneRow]
    deactivated: bool
    blocks: list[BlockRow]  # either way: by the user, or of the user


# Every table that names a user, and the columns that do: what erasing a user clears.
_NAMING: tuple[tuple[Table, tuple[str, ...]], ...] = (
    (m.discovery, ("user_id",)),
    (m.profiles, ("user_id",)),
    (m.preferences, ("user_id",)),
    (m.privacy_zones, ("user_id",)),
    (m.removed_zones, ("user_id",)),
    (m.blocks, ("blocker", "blocked")),
    (m.block_versions, ("blocker", "blocked")),
    (m.deactivated, ("user_id",)),
    (m.encounters, ("user_low", "user_high")),
)


# Pairs asked about in one statement: two bound parameters each, far under SQLite's limit.
_PAIRS_PER_READ = 500


class DiscoveryTables:
    def __init__(self, *, is_sqlite: bool) -> None:
        self._insert = sqlite_insert if is_sqlite else pg_insert

    # --- discovery mode -------------------------------------------------------------------------
    async def discovery(self, uow: UnitOfWork, user_id: str) -> DiscoveryRow | None:
        row = (
            await uow.session.execute(
                select(m.discovery.c.enabled, m.discovery.c.until).where(
                    m.discovery.c.user_id == user_id
                )
            )
        ).first()
        return DiscoveryRow(row.enabled, row.until) if row else None

    async def set_discovery(
        self, uow: UnitOfWork, user_id: str, enabled: bool, until: datetime | None, now: datetime
    ) -> None:
        values = {"enabled": enabled, "until": until, "updated_at": now}
        await uow.session.execute(
            self._insert(m.discovery)
            .values(user_id=user_id, **values)
            .on_conflict_do_update(index_elements=["user_id"], set_=values)
        )

    async def switch_off_ended(self, uow: UnitOfWork, now: datetime) -> list[str]:
        """Users whose discovery end time has passed: switched off, and returned. One
        statement, so of several processes sweeping at once only one reports each user.
        Mostly there are none: a read says so without taking SQLite's write lock."""
        ended = m.discovery.c.enabled.is_(True), m.discovery.c.until <= now
        if (
            await uow.session.execute(select(m.discovery.c.user_id).where(*ended).limit(1))
        ).first() is None:
            return []
        switched = await uow.session.execute(
            update(m.discovery)
            .where(*ended)
            .values(enabled=False, until=None, updated_at=now)
            .returning(m.discovery.c.user_id)
        )
        return list(switched.scalars())

    # --- the users projection -------------------------------------------------------------------
    async def put_profile(
        self, uow: UnitOfWork, user_id: str, profile: ProfileRow, as_of: datetime
    ) -> None:
        values = {
            "first_name": profile.first_name,
            "interests": profile.interests,
            "activities": profile.activities,
            "mode": profile.mode,
            "birth_date": profile.birth_date,
            "as_of": as_of,
        }
        await self._put_newer(uow, m.profiles, user_id, values)

    async def put_preferences(
        self, uow: UnitOfWork, user_id: str, prefs: PreferencesRow, as_of: datetime
    ) -> None:
        values = {
            "radius_meters": prefs.radius_meters,
            "time_windows": prefs.time_windows,
            "age_min": prefs.age_min,
            "age_max": prefs.age_max,
            "professional_only": prefs.professional_only,
            "as_of": as_of,
        }
        await self._put_newer(uow, m.preferences, user_id, values)

    async def _put_newer(
        self, uow: UnitOfWork, table: Table, user_id: str, values: dict[str, Any]
    ) -> None:
        # A redelivered older event must not undo a newer one that was applied first.
        statement = self._insert(table).values(user_id=user_id, **values)
        await uow.session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id"],
                set_=values,
                where=table.c.as_of <= statement.excluded.as_of,
            )
        )

    async def add_zone(
        self,
        uow: UnitOfWork,
        user_id: str,
        zone_id: str,
        sealed_area: str,
        expires_at: datetime | None,
    ) -> bool:
        """False, and nothing kept, for a zone already removed (its removal came first)."""
        removed = await uow.session.scalar(
            select(m.removed_zones.c.zone_id).where(m.removed_zones.c.zone_id == zone_id)
        )
        if removed is not None:
            return False
        values = {"user_id": user_id, "sealed_area": sealed_area, "expires_at": expires_at}
        await uow.session.execute(
            self._insert(m.privacy_zones)
            .values(zone_id=zone_id, **values)
            .on_conflict_do_update(index_elements=["zone_id"], set_=values)
        )
        return True

    async def remove_zone(self, uow: UnitOfWork, user_id: str, zone_id: str) -> None:
        await uow.session.execute(
            delete(m.privacy_zones).where(
                m.privacy_zones.c.zone_id == zone_id, m.privacy_zones.c.user_id == user_id
            )
        )
        await uow.session.execute(
            self._insert(m.removed_zones)
            .values(zone_id=zone_id, user_id=user_id)
            .on_conflict_do_nothing()
        )

    async def add_block(
        self, uow: UnitOfWork, blocker: str, blocked: str, until: datetime | None
    ) -> None:
        await uow.session.execute(
            self._insert(m.blocks)
            .values(blocker=blocker, blocked=blocked, until=until)
            .on_conflict_do_update(index_elements=["blocker", "blocked"], set_={"until": until})
        )

    async def claim_block_version(
        self, uow: UnitOfWork, blocker: str, blocked: str, version: int
    ) -> bool:
        """False when a newer block event for the pair was applied already."""
        key = {"blocker": blocker, "blocked": blocked}
        return await Repository(uow).claim_version(m.block_versions, key, version)

    async def remove_block(self, uow: UnitOfWork, blocker: str, blocked: str) -> None:
        await uow.session.execute(
            delete(m.blocks).where(m.blocks.c.blocker == blocker, m.blocks.c.blocked == blocked)
        )

    async def set_deactivated(self, uow: UnitOfWork, user_id: str, since: datetime) -> None:
        await uow.session.execute(
            self._insert(m.deactivated)
            .values(user_id=user_id, since=since)
            .on_conflict_do_nothing()
        )

    async def clear_deactivated(self, uow: UnitOfWork, user_id: str) -> None:
        await uow.session.execute(delete(m.deactivated).where(m.deactivated.c.user_id == user_id))

    async def erase(self, uow: UnitOfWork, user_id: str) -> None:
        for table, columns in _NAMING:
            await uow.session.execute(
                delete(table).where(or_(*(table.c[name] == user_id for name in columns)))
            )

    # --- reads for matching ---------------------------------------------------------------------
    async def members(self, uow: UnitOfWork, user_ids: Collection[str]) -> dict[str, MemberRows]:
        """Everything matching needs of each user, six statements for the lot: a burst of
        first fixes (a city's apps reconnecting) loads its members in a few transactions, not
        one each."""
        ids = list(user_ids)
        session = uow.session
        d, p, q, z, b = m.discovery.c, m.profiles.c, m.preferences.c, m.privacy_zones.c, m.blocks.c
        discovery = {
            row.user_id: DiscoveryRow(row.enabled, row.until)
            for row in await session.execute(
                select(d.user_id, d.enabled, d.until).where(d.user_id.in_(ids))
            )
        }
        profiles = {
            row.user_id: ProfileRow(*row[1:])
            for row in await session.execute(
                select(
                    p.user_id, p.first_name, p.interests, p.activities, p.mode, p.birth_date
                ).where(p.user_id.in_(ids))
            )
        }
        preferences = {
            row.user_id: PreferencesRow(*row[1:])
            for row in await session.execute(
                select(
                    q.user_id,
                    q.radius_meters,
                    q.time_windows,
                    q.age_min,
                    q.age_max,
                    q.professional_only,
                ).where(q.user_id.in_(ids))
            )
        }
        zones: dict[str, list[ZoneRow]] = {user_id: [] for user_id in ids}
        for row in await session.execute(
            select(z.user_id, z.sealed_area, z.expires_at).where(z.user_id.in_(ids))
        ):
            zones[row.user_id].append(ZoneRow(row.sealed_area, row.expires_at))
        deactivated = set(
            await session.scalars(
                select(m.deactivated.c.user_id).where(m.deactivated.c.user_id.in_(ids))
            )
        )
        blocks: dict[str, list[BlockRow]] = {user_id: [] for user_id in ids}
        for row in await session.execute(
            select(b.blocker, b.blocked, b.until).where(or_(b.blocker.in_(ids), b.blocked.in_(ids)))
        ):
            block = BlockRow(row.blocker, row.blocked, row.until)
            for user_id in {row.blocker, row.blocked}:
                if user_id in blocks:
                    blocks[user_id].append(block)
        return {
            user_id: MemberRows(
                discovery=discovery.get(user_id),
                profile=profiles.get(user_id),
                preferences=preferences.get(user_id),
                zones=zones[user_id],
                deactivated=user_id in deactivated,
                blocks=blocks[user_id],
            )
            for user_id in ids
        }

    async def record_encounters(
        self, uow: UnitOfWork, met: Iterable[tuple[str, str, datetime]]
    ) -> None:
        """Upsert (pair, when) rows. One statement for the lot; a pair twice in one statement
        would be an error on PostgreSQL ("cannot affect row a second time"): the latest wins."""
        latest: dict[tuple[str, str], datetime] = {}
        for a, b, at in met:
            pair = (a, b) if a < b else (b, a)
            latest[pair] = max(at, latest.get(pair, at))
        rows = [
            {"user_low": low, "user_high": high, "met_at": at}
            for (low, high), at in sorted(latest.items())
        ]
        if rows:
            insert = self._insert(m.encounters).values(rows)
            await uow.session.execute(
                insert.on_conflict_do_update(
                    index_elements=["user_low", "user_high"],
                    set_={"met_at": insert.excluded.met_at},
                )
            )

    async def encounters(
        self, uow: UnitOfWork, pairs: Collection[tuple[str, str]]
    ) -> dict[tuple[str, str], datetime]:
        """When each of these pairs (smaller id first) was last told about each other, for those
        ever told."""
        found: dict[tuple[str, str], datetime] = {}
        ordered = sorted(pairs)
        for first in range(0, len(ordered), _PAIRS_PER_READ):
            chunk = ordered[first : first + _PAIRS_PER_READ]
            rows = await uow.session.execute(
                select(
                    m.encounters.c.user_low, m.encounters.c.user_high, m.encounters.c.met_at
                ).where(tuple_(m.encounters.c.user_low, m.encounters.c.user_high).in_(chunk))
            )
            found.update({(low, high): at for low, high, at in rows})
        return found
