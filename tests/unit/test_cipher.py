"""Field encryption at rest: a rotatable key ring."""

from __future__ import annotations

import pytest

from disco.platform.security import FieldCipher


def test_round_trip_and_ciphertext_hides_the_value() -> None:
    cipher = FieldCipher([FieldCipher.generate_key()])
    secret = "+44 7700 900123"
    token = cipher.encrypt(secret)
    assert secret not in token
    assert cipher.decrypt(token) == secret
    assert cipher.encrypt(secret) != token  # random IV: equal values do not look equal


def test_rotation_keeps_old_values_readable_and_rewrites_them_under_the_new_key() -> None:
    old_key, new_key = FieldCipher.generate_key(), FieldCipher.generate_key()
    stored = FieldCipher([old_key]).encrypt_json({"name": "Mum", "phone": "+1 555 0100"})
    ring = FieldCipher([new_key, old_key])
    assert ring.decrypt_json(stored) == {"name": "Mum", "phone": "+1 555 0100"}
    rotated = ring.rotate(stored)
    assert FieldCipher([new_key]).decrypt_json(rotated) == {"name": "Mum", "phone": "+1 555 0100"}
    with pytest.raises(ValueError):
        FieldCipher([new_key]).decrypt(stored)


def test_an_empty_key_ring_is_refused() -> None:
    with pytest.raises(ValueError):
        FieldCipher([])
