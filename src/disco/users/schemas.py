"""Request and response models of profiles, preferences and accounts (camelCase on the wire).

Emergency contacts, privacy zones, blocks and photos have theirs beside their code."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from disco.contracts.events.users import Mode
from disco.platform.text import one_line
from disco.platform.wire import ApiModel, RequestModel, not_nullable
from disco.users.interests import (
    ACTIVITIES,
    MAX_INTERESTS,
    InvalidInterest,
    normalise_interests,
)
from disco.users.repository import PreferencesRow, ProfileRow

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Level = Literal["nearby", "match"]
Name = Field(min_length=1, max_length=100)
# A name in a PATCH: left out it stays as it is; null is refused (a name cannot be empty).
OptionalName = Field(None, min_length=1, max_length=100, json_schema_extra=not_nullable)

MIN_RADIUS_METERS, MAX_RADIUS_METERS = 30, 1609  # 100 ft to a mile
MAX_TIME_WINDOWS = 21
MAX_BIO_LENGTH = 500
MIN_AGE, MAX_AGE = 18, 120
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


# --- profile ------------------------------------------------------------------------------------
class Disclosure(ApiModel):
    """What one audience sees beyond the first name, mode and the interests shared with them."""

    last_name: bool
    bio: bool
    photo: bool
    all_interests: bool
    activities: bool


class Visibility(ApiModel):
    nearby: Disclosure  # a stranger discovery put in range
    match: Disclosure  # someone the user matched with

    @model_validator(mode="after")
    def _progressive(self) -> Visibility:
        more = [
            name
            for name, shown in self.nearby.model_dump().items()
            if shown and not getattr(self.match, name)
        ]
        if more:
            raise ValueError(
                f"A match sees at least what a stranger nearby sees; also show {', '.join(more)} "
                "to matches, or hide it from strangers."
            )
        return self


DEFAULT_VISIBILITY = Visibility(
    nearby=Disclosure(
        last_name=False, bio=False, photo=False, all_interests=False, activities=True
    ),
    match=Disclosure(last_name=True, bio=True, photo=True, all_interests=True, activities=True),
)


def _interests(value: list[str]) -> list[str]:
    try:
        return normalise_interests(value)
    except InvalidInterest as exc:
        raise ValueError(str(exc)) from exc


def _activities(value: list[str]) -> list[str]:
    unknown = sorted(set(value) - set(ACTIVITIES))
    if unknown:
        raise ValueError(f"Unknown activities {unknown}; choose from {list(ACTIVITIES)}.")
    return list(dict.fromkeys(value))


class ProfilePatch(RequestModel):
    """Fields left out stay as they are. ``null`` clears the fields that may be empty (bio,
    birth date) and is refused for the others, which the API document marks not nullable."""

    # One line each: a name goes into mail subjects.
    first_name: Annotated[str, one_line] | None = OptionalName
    last_name: Annotated[str, one_line] | None = OptionalName
    bio: str | None = Field(None, max_length=MAX_BIO_LENGTH)
    birth_date: date | None = None
    interests: list[str] | None = Field(
        None, max_length=MAX_INTERESTS, json_schema_extra=not_nullable
    )
    activities: list[str] | None = Field(
        None, max_length=len(ACTIVITIES) * 2, json_schema_extra=not_nullable
    )
    mode: Mode | None = Field(None, json_schema_extra=not_nullable)
    visibility: Visibility | None = Field(None, json_schema_extra=not_nullable)

    @field_validator("first_name", "last_name", "mode", "visibility", "interests", "activities")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("may be left out, but not null")
        return value

    @field_validator("bio")
    @classmethod
    def _null_bio_is_empty(cls, value: str | None) -> str:
        return "" if value is None else value

    @field_validator("interests")
    @classmethod
    def _normalise_interests(cls, value: list[str]) -> list[str]:
        return _interests(value)

    @field_validator("activities")
    @classmethod
    def _known_activities(cls, value: list[str]) -> list[str]:
        return _activities(value)

    @field_validator("birth_date")
    @classmethod
    def _adult(cls, value: date | None) -> date | None:
        if value is not None:
            today = date.today()
            age = today.year - value.year - ((today.month, today.day) < (value.month, value.day))
            if not MIN_AGE <= age <= MAX_AGE:
                raise ValueError(f"Disco is for people aged {MIN_AGE} to {MAX_AGE}.")
        return value


class Profile(ApiModel):
    id: str
    first_name: str
    last_name: str
    bio: str
    birth_date: date | None
    interests: list[str]
    activities: list[str]
    mode: Mode
    visibility: Visibility
    photo_url: str | None
    deactivated: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ProfileRow) -> Profile:
        return cls(
            id=row.user_id,
            first_name=row.first_name,
            last_name=row.last_name,
            bio=row.bio,
            birth_date=row.birth_date,
            interests=row.interests,
            activities=row.activities,
            mode=row.mode,
            visibility=Visibility.model_validate(row.visibility),
            photo_url=f"/v1/users/{row.user_id}/photo" if row.photo_key else None,
            deactivated=row.deactivated_at is not None,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class NewProfile(RequestModel):
    """A new account as auth announces it (``UserRegistered``), sent by auth as soon as the
    sign-up commits, so that the user's first request already finds their profile."""

    email: str = Field(min_length=3, max_length=320)
    first_name: str = Name
    last_name: str = Field(max_length=100)  # a sign-in provider may share none
    registered_at: datetime


class Taxonomy(ApiModel):
    categories: dict[str, list[str]]
    synonyms: dict[str, str]
    activities: list[str]


# --- preferences --------------------------------------------------------------------------------
class TimeWindowIn(RequestModel):
    days: list[Weekday] = Field(min_length=1, max_length=7)
    start: str
    end: str
    tz: str = Field(min_length=1, max_length=64)

    @field_validator("days")
    @classmethod
    def _distinct(cls, value: list[Weekday]) -> list[Weekday]:
        if len(set(value)) != len(value):
            raise ValueError("Each day at most once.")
        return value

    @field_validator("start", "end")
    @classmethod
    def _clock_time(cls, value: str) -> str:
        if not _HH_MM.match(value):
            raise ValueError("A time is HH:MM, 00:00 to 23:59.")
        return value

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Paris.") from exc
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> TimeWindowIn:
        # An end before the start runs past midnight; an equal one would be no time at all.
        if time.fromisoformat(self.start) == time.fromisoformat(self.end):
            raise ValueError("A time window must not start and end at the same time.")
        return self


class AgeRangeIn(RequestModel):
    min: int = Field(ge=MIN_AGE, le=MAX_AGE)
    max: int = Field(ge=MIN_AGE, le=MAX_AGE)

    @model_validator(mode="after")
    def _ordered(self) -> AgeRangeIn:
        if self.min > self.max:
            raise ValueError("The lowest age must not be above the highest.")
        return self


class PreferencesIn(RequestModel):
    discovery_radius_meters: int = Field(ge=MIN_RADIUS_METERS, le=MAX_RADIUS_METERS)
    time_windows: list[TimeWindowIn] = Field(default_factory=list, max_length=MAX_TIME_WINDOWS)
    age_range: AgeRangeIn | None = None
    professional_only: bool = False


class TimeWindow(ApiModel):
    days: list[Weekday]
    start: str
    end: str
    tz: str


class AgeRange(ApiModel):
    min: int
    max: int


class Preferences(ApiModel):
    discovery_radius_meters: int
    time_windows: list[TimeWindow]
    age_range: AgeRange | None
    professional_only: bool

    @classmethod
    def of(cls, row: PreferencesRow) -> Preferences:
        return cls(
            discovery_radius_meters=row.discovery_radius_meters,
            time_windows=[TimeWindow.model_validate(w) for w in row.time_windows],
            age_range=(
                AgeRange(min=row.age_min, max=row.age_max)
                if row.age_min is not None and row.age_max is not None
                else None
            ),
            professional_only=row.professional_only,
        )


# --- account ------------------------------------------------------------------------------------
class Export(ApiModel):
    user_id: str
    exported_at: datetime
    services: dict[str, Any]


def exported(model: ApiModel) -> dict[str, Any]:
    """A model as the data export holds it: JSON values, camelCase names, as the API shows it."""
    return model.model_dump(mode="json", by_alias=True)
