"""Public places for meeting spots, loaded from GeoJSON (``disco venues import FILE``).

A file is checked whole before anything is written: every problem is reported with the feature
it is in, and a file with any problem imports nothing. Venues are upserted by id, so importing
a newer version of the same file updates places rather than duplicating them.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

from disco.config import Settings
from disco.platform.clock import Clock
from disco.platform.db import Database
from disco.safety import models
from disco.safety.spots.repository import SpotsRepository

__all__ = ["VenueFileError", "parse_venues", "read_venues", "store_venues"]

MAX_FEATURES = 100_000
MAX_NAME = 200
MAX_CATEGORY = 60


class VenueFileError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems[:5]))
        self.problems = problems


def _venue(index: int, feature: Any) -> tuple[dict[str, Any] | None, list[str]]:
    where = f"feature {index}"
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, [f"{where}: not a GeoJSON Feature"]
    problems = []
    geometry = feature.get("geometry")
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    if (
        not isinstance(geometry, dict)
        or geometry.get("type") != "Point"
        or not isinstance(coordinates, list)
        or len(coordinates) < 2
        or not all(isinstance(c, int | float) and not isinstance(c, bool) for c in coordinates[:2])
    ):
        problems.append(f"{where}: geometry must be a Point with [longitude, latitude]")
        longitude = latitude = math.nan
    else:
        longitude, latitude = float(coordinates[0]), float(coordinates[1])
        if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
            problems.append(f"{where}: coordinates out of range (longitude first, then latitude)")
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        return None, [*problems, f"{where}: properties missing"]
    name, category = properties.get("name"), properties.get("category")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= MAX_NAME:
        problems.append(f"{where}: properties.name must be text of 1 to {MAX_NAME} characters")
    if not isinstance(category, str) or not 0 < len(category.strip()) <= MAX_CATEGORY:
        problems.append(
            f"{where}: properties.category must be text of 1 to {MAX_CATEGORY} characters"
        )
    if problems:
        return None, problems
    assert isinstance(name, str) and isinstance(category, str)
    raw_id = feature.get("id", properties.get("id"))
    if raw_id is None:
        # No id of its own: the same name at the same place is the same venue.
        raw_id = hashlib.sha256(f"{name}|{latitude:.6f}|{longitude:.6f}".encode()).hexdigest()[:32]
    venue_id = str(raw_id)
    if not 0 < len(venue_id) <= 120:
        return None, [f"{where}: id must be 1 to 120 characters"]
    return {
        "id": venue_id,
        "name": name.strip(),
        "category": category.strip().lower(),
        "latitude": latitude,
        "longitude": longitude,
    }, []


def parse_venues(text: str) -> list[dict[str, Any]]:
    """The venues of a GeoJSON FeatureCollection of Points; VenueFileError says what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise VenueFileError([f"not valid JSON: {exc}"]) from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise VenueFileError(["not a GeoJSON FeatureCollection"])
    features = data.get("features")
    if not isinstance(features, list) or not features:
        raise VenueFileError(["the FeatureCollection has no features"])
    if len(features) > MAX_FEATURES:
        raise VenueFileError([f"more than {MAX_FEATURES} features; split the file"])
    venues: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for index, feature in enumerate(features):
        venue, found = _venue(index, feature)
        problems += found
        if venue is not None:
            if venue["id"] in venues:
                problems.append(f"feature {index}: id {venue['id']!r} appears twice")
            venues[venue["id"]] = venue
    if problems:
        raise VenueFileError(problems)
    return list(venues.values())


def read_venues(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VenueFileError([f"cannot read {path}: {exc}"]) from exc
    return parse_venues(text)


async def store_venues(settings: Settings, venues: list[dict[str, Any]], *, clock: Clock) -> None:
    """Upsert into the safety database (which must be migrated), in one transaction, stamped
    by ``clock``."""
    now = clock.now()
    db = Database(settings.database_url_for("safety"), service="safety", outbox=models.outbox)
    try:
        async with db.unit_of_work("safety.import_venues") as uow:
            await SpotsRepository(uow).upsert_venues(venues, now)
    finally:
        await db.dispose()
