"""Interest tags: a curated taxonomy plus free tags, normalised so that equal interests match.

"Rock Climbing", " rock   climbing " and "#RockClimbing"-style variants must score as one
interest, so every tag is folded (Unicode NFKC, case-folded, inner spacing collapsed) and then
mapped through a synonym table onto its curated name.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = [
    "ACTIVITIES",
    "MAX_INTERESTS",
    "MAX_INTEREST_LENGTH",
    "SYNONYMS",
    "TAXONOMY",
    "InvalidInterest",
    "normalise_interest",
    "normalise_interests",
]

MAX_INTERESTS = 30
MAX_INTEREST_LENGTH = 40

# Curated tags by category: what clients offer as suggestions.
TAXONOMY: dict[str, tuple[str, ...]] = {
    "outdoors": ("hiking", "running", "cycling", "rock climbing", "camping", "gardening"),
    "sports": ("football", "basketball", "tennis", "yoga", "swimming", "chess"),
    "culture": ("art", "museums", "theatre", "photography", "literature", "history"),
    "music": ("live music", "jazz", "classical music", "electronic music", "singing"),
    "food": ("coffee", "cooking", "baking", "wine", "craft beer", "vegan food"),
    "tech": (
        "software engineering",
        "javascript",
        "python",
        "machine learning",
        "startups",
        "design",
        "product management",
        "data science",
    ),
    "games": ("board games", "video games", "puzzles"),
    "learning": ("languages", "philosophy", "science", "volunteering", "travel"),
}

SYNONYMS: dict[str, str] = {
    "hike": "hiking",
    "trekking": "hiking",
    "run": "running",
    "jogging": "running",
    "bike": "cycling",
    "biking": "cycling",
    "climbing": "rock climbing",
    "bouldering": "rock climbing",
    "soccer": "football",
    "theater": "theatre",
    "books": "literature",
    "reading": "literature",
    "gigs": "live music",
    "concerts": "live music",
    "classical": "classical music",
    "edm": "electronic music",
    "techno": "electronic music",
    "beer": "craft beer",
    "js": "javascript",
    "py": "python",
    "ml": "machine learning",
    "ai": "machine learning",
    "programming": "software engineering",
    "coding": "software engineering",
    "ux": "design",
    "boardgames": "board games",
    "gaming": "video games",
    "travelling": "travel",
    "traveling": "travel",
}

ACTIVITIES: tuple[str, ...] = (
    "coffee",
    "lunch",
    "dinner",
    "drinks",
    "walk",
    "run",
    "quick_chat",
    "workspace",
    "sports",
    "culture",
    "games",
)

# Letters (any script), digits, and the joiners tags really use ("c++", "c#", "sci-fi", "r&b").
_ALLOWED = re.compile(r"^[\w][\w +#&'.\-]*$")


class InvalidInterest(ValueError):
    pass


def normalise_interest(raw: str) -> str:
    tag = unicodedata.normalize("NFKC", raw).casefold()
    tag = tag.lstrip("#")
    tag = " ".join(tag.replace("_", " ").split())
    if not tag:
        raise InvalidInterest("An interest cannot be empty.")
    if len(tag) > MAX_INTEREST_LENGTH:
        raise InvalidInterest(f"An interest is at most {MAX_INTEREST_LENGTH} characters.")
    if not _ALLOWED.match(tag):
        raise InvalidInterest(f"{raw!r} has characters an interest cannot have.")
    return SYNONYMS.get(tag, tag)


def normalise_interests(raw: list[str]) -> list[str]:
    """Normalised, without duplicates, in the order first given."""
    if len(raw) > MAX_INTERESTS:
        raise InvalidInterest(f"At most {MAX_INTERESTS} interests.")
    return list(dict.fromkeys(normalise_interest(tag) for tag in raw))
