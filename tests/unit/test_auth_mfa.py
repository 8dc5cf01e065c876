"""TOTP matching (with drift and the step it matched) and recovery codes."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pyotp

from disco.auth.mfa import codes as mfa

NOW = datetime(2026, 6, 1, 12, 0, 10, tzinfo=UTC)


def test_a_secret_has_160_bits_and_a_scannable_uri() -> None:
    secret = mfa.new_totp_secret()
    assert len(secret) == 32  # base32: 5 bits a character
    assert secret != mfa.new_totp_secret()
    uri = urlsplit(mfa.otpauth_uri(secret, "ada@example.com"))
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert "ada%40example.com" in uri.path or "ada@example.com" in uri.path
    query = parse_qs(uri.query)
    assert query["secret"] == [secret]
    assert query["issuer"] == ["Disco"]


def test_the_current_code_matches_its_step() -> None:
    secret = mfa.new_totp_secret()
    totp = pyotp.TOTP(secret)
    assert mfa.matching_step(secret, totp.at(NOW), NOW) == totp.timecode(NOW)


def test_one_step_of_drift_either_way_and_no_more() -> None:
    secret = mfa.new_totp_secret()
    totp = pyotp.TOTP(secret)
    step = totp.timecode(NOW)
    for offset in (-1, 1):
        code = totp.at(NOW + timedelta(seconds=30 * offset))
        assert mfa.matching_step(secret, code, NOW) == step + offset
    for offset in (-3, -2, 2, 3):
        code = totp.at(NOW + timedelta(seconds=30 * offset))
        if code not in {totp.at(NOW + timedelta(seconds=30 * o)) for o in (-1, 0, 1)}:
            assert mfa.matching_step(secret, code, NOW) is None


def test_malformed_codes_never_match() -> None:
    secret = mfa.new_totp_secret()
    code = pyotp.TOTP(secret).at(NOW)
    full_width = "\uff11\uff12\uff13\uff14\uff15\uff16"
    for bad in ("", code[:5], code + "0", "abcdef", f"{code[:3]}-{code[3:]}", full_width):
        assert mfa.matching_step(secret, bad, NOW) is None
    # Spaces, as authenticator apps show them, are forgiven.
    assert mfa.matching_step(secret, f"{code[:3]} {code[3:]}", NOW) is not None


def test_another_secrets_code_does_not_match() -> None:
    mine, theirs = mfa.new_totp_secret(), mfa.new_totp_secret()
    code = pyotp.TOTP(theirs).at(NOW)
    if code not in {pyotp.TOTP(mine).at(NOW + timedelta(seconds=30 * o)) for o in (-1, 0, 1)}:
        assert mfa.matching_step(mine, code, NOW) is None


def test_totp_and_recovery_codes_are_told_apart() -> None:
    assert mfa.is_totp_code("123456")
    assert mfa.is_totp_code("123 456")
    for code in mfa.new_recovery_codes():
        assert not mfa.is_totp_code(code)


def test_recovery_codes_are_many_random_and_long() -> None:
    codes = mfa.new_recovery_codes()
    assert len(codes) == mfa.RECOVERY_CODE_COUNT
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert re.fullmatch(r"[a-z2-7]{6}(-[a-z2-7]{6}){3}", code)  # 24 base32 chars: 120 bits
    assert not set(codes) & set(mfa.new_recovery_codes())


def test_recovery_code_hash_forgives_case_spaces_and_dashes() -> None:
    code = mfa.new_recovery_codes()[0]
    expected = mfa.recovery_code_hash(code)
    assert len(expected) == 64
    assert code not in expected
    for typed in (code.upper(), code.replace("-", ""), code.replace("-", " "), f" {code} "):
        assert mfa.recovery_code_hash(typed) == expected
    assert mfa.recovery_code_hash(code[:-1] + ("a" if code[-1] != "a" else "b")) != expected
