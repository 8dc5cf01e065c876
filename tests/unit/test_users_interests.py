"""Interest tags fold to one spelling, so equal interests match."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from disco.users.interests import (
    MAX_INTERESTS,
    SYNONYMS,
    TAXONOMY,
    InvalidInterest,
    normalise_interest,
    normalise_interests,
)


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("Hiking", "hiking"),
        ("  rock    climbing ", "rock climbing"),
        ("ROCK\tCLIMBING", "rock climbing"),
        ("#Jazz", "jazz"),
        ("board_games", "board games"),
        ("\uff23\uff48\uff45\uff53\uff53", "chess"),  # full-width letters
        ("JS", "javascript"),
        ("Bouldering", "rock climbing"),
        ("Soccer", "football"),
        ("c++", "c++"),
        ("Straße", "strasse"),
        ("sci-fi", "sci-fi"),
    ],
)
def test_tags_are_folded_and_synonyms_mapped(raw: str, tag: str) -> None:
    assert normalise_interest(raw) == tag


@pytest.mark.parametrize("raw", ["", "   ", "#", "x" * 41, "<script>", "drop;table", "🙂"])
def test_what_is_not_a_tag_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInterest):
        normalise_interest(raw)


def test_a_list_loses_duplicates_and_keeps_its_order() -> None:
    assert normalise_interests(["Jazz", "hike", "JAZZ", "Hiking", "chess"]) == [
        "jazz",
        "hiking",
        "chess",
    ]


def test_a_list_is_capped() -> None:
    normalise_interests([f"tag {n}" for n in range(MAX_INTERESTS)])
    with pytest.raises(InvalidInterest):
        normalise_interests([f"tag {n}" for n in range(MAX_INTERESTS + 1)])


def test_synonyms_lead_to_curated_tags_which_are_already_normal() -> None:
    curated = {tag for tags in TAXONOMY.values() for tag in tags}
    assert set(SYNONYMS.values()) <= curated
    for tag in curated:
        assert normalise_interest(tag) == tag


@given(st.text(min_size=1, max_size=60))
def test_normalising_twice_changes_nothing(raw: str) -> None:
    try:
        once = normalise_interest(raw)
    except InvalidInterest:
        return
    assert normalise_interest(once) == once
