"""The password policy and the argon2id hasher."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from hypothesis import given, settings
from hypothesis import strategies as st

from disco.auth.passwords import MAX_LENGTH, MIN_LENGTH, Passwords, check_password
from disco.platform.errors import ValidationFailed

CONTEXT = ("ada.lovelace", "Ada", "Lovelace")


def refusal(password: str, context: tuple[str, ...] = CONTEXT) -> str:
    with pytest.raises(ValidationFailed) as err:
        check_password(password, context=context)
    assert err.value.status_code == 422
    details = err.value.details
    assert details and details[0]["field"] == "password"
    return str(details[0]["message"])


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",
        "Tr0ub4dor&3 is not enough",
        "zq8!vX2#mL",  # exactly 10 characters, random
        "x7$kQ9pz",  # exactly MIN_LENGTH
        "пароль-который-длинный",  # any script is fine
        "🎉🎶💃🕺 party time",
        "a" * 100 + "bcdefg",
    ],
)
def test_acceptable_passwords_pass(password: str) -> None:
    assert check_password(password, context=CONTEXT) == password


def test_length_bounds() -> None:
    assert refusal("x7$kQ9p") == "too short"
    assert len("x7$kQ9p") == MIN_LENGTH - 1
    check_password("x7$kQ9pz" + "y" * (MAX_LENGTH - 8), context=CONTEXT)
    assert refusal("x7$kQ9pz" + "y" * (MAX_LENGTH - 7)) == "too long"


def test_length_counts_characters_not_bytes() -> None:
    # Eight characters, many more bytes: long enough.
    check_password("ÿ漢字😀ñ€ß∑", context=())
    assert refusal("漢字😀ñ€ß∑") == "too short"


@pytest.mark.parametrize(
    "password",
    ["password", "Password1", "PASSWORD123!", "iloveyou", "qwertyuiop", "dragon2024!", "letmein1"],
)
def test_common_passwords_are_refused_whatever_the_case_or_suffix(password: str) -> None:
    assert refusal(password) == "too common"


@pytest.mark.parametrize("password", ["Lovelace", "lovelace1984", "ada.lovelace", "Disco2024!!"])
def test_passwords_built_from_the_account_or_the_service_are_refused(password: str) -> None:
    assert refusal(password) == "too common"


def test_short_context_words_are_not_held_against_a_password() -> None:
    # "Al" is someone's name, but two letters rule out nothing useful.
    check_password("al" * 3 + " walks at dawn", context=("al", "Al", "Bo"))


@pytest.mark.parametrize("password", ["aaaaaaaaaaaa", " " * 12, "abababababab", "12121212121"])
def test_repetitive_passwords_are_refused(password: str) -> None:
    assert refusal(password) == "too common"


def test_passwords_are_normalised_nfkc() -> None:
    # A full-width and a ligature form compose to the plain ASCII the user probably meant.
    assert (
        check_password("\uff43\uff4f\uff52\uff52\uff45\uff43\uff54 horse", context=())
        == "correct horse"
    )
    assert check_password("ﬁnd my ﬁsh today", context=()) == "find my fish today"


def test_spaces_are_kept() -> None:
    assert check_password("  spaced passphrase  ", context=()) == "  spaced passphrase  "


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_policy_either_accepts_or_refuses_with_a_reason(password: str) -> None:
    try:
        result = check_password(password, context=CONTEXT)
    except ValidationFailed as err:
        assert err.details[0]["message"] in {"too short", "too long", "too common"}
    else:
        assert MIN_LENGTH <= len(result) <= MAX_LENGTH


async def test_hash_then_verify() -> None:
    passwords = Passwords()
    hashed = await passwords.hash("correct horse battery staple")
    assert hashed.startswith("$argon2id$")
    assert "correct horse" not in hashed
    assert await passwords.verify(hashed, "correct horse battery staple")
    assert not await passwords.verify(hashed, "correct horse battery stapl")
    assert not await passwords.verify(hashed, "Correct horse battery staple")
    assert not passwords.needs_rehash(hashed)


async def test_each_hash_is_salted() -> None:
    passwords = Passwords()
    assert await passwords.hash("same phrase here") != await passwords.hash("same phrase here")


async def test_verify_normalises_like_the_policy() -> None:
    passwords = Passwords()
    hashed = await passwords.hash("\uff43\uff4f\uff52\uff52\uff45\uff43\uff54 horse")
    assert await passwords.verify(hashed, "correct horse")


async def test_no_account_or_a_broken_hash_never_verifies() -> None:
    passwords = Passwords()
    assert not await passwords.verify(None, "no such account, but take the same time")
    assert not await passwords.verify("not a hash", "anything at all")


async def test_weaker_old_hashes_are_flagged_for_rehash() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("old phrase")
    passwords = Passwords()
    assert await passwords.verify(old, "old phrase")
    assert passwords.needs_rehash(old)
