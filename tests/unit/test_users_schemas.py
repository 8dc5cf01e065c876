"""The users API's input rules: time windows, radius, age range, visibility, zones."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from disco.users.privacy.schemas import ZoneIn
from disco.users.schemas import (
    DEFAULT_VISIBILITY,
    PreferencesIn,
    ProfilePatch,
    TimeWindowIn,
    Visibility,
)

WINDOW = {"days": ["mon", "wed"], "start": "09:00", "end": "17:30", "tz": "America/New_York"}


def test_a_time_window_is_days_times_and_a_zone() -> None:
    window = TimeWindowIn.model_validate(WINDOW)
    assert window.days == ["mon", "wed"] and window.tz == "America/New_York"


def test_a_window_may_run_past_midnight() -> None:
    assert TimeWindowIn.model_validate(dict(WINDOW, start="22:00", end="02:00")).end == "02:00"


@pytest.mark.parametrize(
    "change",
    [
        {"days": []},
        {"days": ["mon", "mon"]},
        {"days": ["monday"]},
        {"start": "9:00"},
        {"start": "24:00"},
        {"end": "12:60"},
        {"start": "10:00", "end": "10:00"},
        {"tz": "Mars/Olympus"},
        {"tz": "../../etc/passwd"},
        {"tz": ""},
        {"extra": True},
    ],
)
def test_bad_time_windows_are_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        TimeWindowIn.model_validate(dict(WINDOW, **change))


@pytest.mark.parametrize(("radius", "ok"), [(29, False), (30, True), (1609, True), (1610, False)])
def test_the_radius_is_100_feet_to_a_mile(radius: int, ok: bool) -> None:
    body = {"discoveryRadiusMeters": radius}
    if ok:
        assert PreferencesIn.model_validate(body).discovery_radius_meters == radius
    else:
        with pytest.raises(ValidationError):
            PreferencesIn.model_validate(body)


def test_at_most_21_windows_and_a_sane_age_range() -> None:
    with pytest.raises(ValidationError):
        PreferencesIn.model_validate({"discoveryRadiusMeters": 100, "timeWindows": [WINDOW] * 22})
    for age_range in ({"min": 17, "max": 30}, {"min": 30, "max": 29}, {"min": 30, "max": 121}):
        with pytest.raises(ValidationError):
            PreferencesIn.model_validate({"discoveryRadiusMeters": 100, "ageRange": age_range})


def test_strangers_cannot_be_shown_what_matches_are_not() -> None:
    default = DEFAULT_VISIBILITY.model_dump(by_alias=True)
    assert Visibility.model_validate(default) == DEFAULT_VISIBILITY
    wrong = dict(default, match=dict(default["match"], photo=False))
    wrong["nearby"] = dict(default["nearby"], photo=True)
    with pytest.raises(ValidationError, match="photo"):
        Visibility.model_validate(wrong)


def test_a_profile_patch_leaves_out_or_sets_never_nulls() -> None:
    assert ProfilePatch.model_validate({}).model_dump(exclude_unset=True) == {}
    with pytest.raises(ValidationError):
        ProfilePatch.model_validate({"mode": None})


@pytest.mark.parametrize(
    "change",
    [
        {"latitude": 123},
        {"latitude": float("nan")},
        {"longitude": -181},
        {"radiusMeters": 99},
        {"radiusMeters": 1001},
        {"expiresAt": "2030-01-01T10:00:00"},
    ],
)
def test_bad_zones_are_refused(change: dict[str, Any]) -> None:
    zone = {"name": "work", "latitude": 1.0, "longitude": 2.0, "radiusMeters": 100}
    with pytest.raises(ValidationError):
        ZoneIn.model_validate(dict(zone, **change))
