"""Safety numbers: the same for both people, 60 digits in 12 groups, stable until a device
is added, removed or given a new identity key; and the key store that keeps the keys."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from disco.client.e2ee.fingerprint import safety_number
from disco.client.e2ee.store import JsonFileKeyStore, MemoryKeyStore
from tests.support.e2ee import clone, new_device, open_, seal

PHONE, LAPTOP, OTHER = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32


def test_both_people_see_the_same_number_until_a_key_changes() -> None:
    ada_view = safety_number("ada", [PHONE, LAPTOP], "bob", [OTHER])
    bob_view = safety_number("bob", [OTHER], "ada", [LAPTOP, PHONE])  # order does not matter
    assert ada_view == bob_view
    assert len(ada_view.digits) == 60 and ada_view.digits.isdigit()
    assert len(ada_view.groups) == 12 and all(len(g) == 5 for g in ada_view.groups)
    assert str(ada_view) == " ".join(ada_view.groups)
    assert bob_view.matches(ada_view.qr_payload)
    assert safety_number("ada", [PHONE, LAPTOP], "bob", [OTHER]) == ada_view  # stable

    new_key = safety_number("ada", [PHONE, b"\x04" * 32], "bob", [OTHER])
    one_device_less = safety_number("ada", [PHONE], "bob", [OTHER])
    another_person = safety_number("ada", [PHONE, LAPTOP], "eve", [OTHER])
    for changed in (new_key, one_device_less, another_person):
        assert changed.digits != ada_view.digits
        assert not changed.matches(ada_view.qr_payload)


def test_the_json_key_store_is_private_to_its_owner_and_survives_a_restart(
    tmp_path: Path,
) -> None:
    path = tmp_path / "keys" / "phone.json"
    store = JsonFileKeyStore(path)
    assert store.load() is None
    ada, bob = new_device("ada"), new_device("bob")
    open_(bob, ada, seal(ada, "hello", [bob]))
    document = {"keys": bob.keys.to_json(), "sessions": bob.sessions.to_json()}
    store.save(document)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == ["phone.json"]  # no temporary left
    assert JsonFileKeyStore(path).load() == json.loads(json.dumps(document))

    memory = MemoryKeyStore()
    memory.save(document)
    loaded = memory.load()
    assert loaded == document and loaded is not document


def test_a_device_restored_from_its_stored_state_carries_on() -> None:
    ada, bob = new_device("ada"), new_device("bob")
    open_(bob, ada, seal(ada, "hello", [bob]))
    pending = seal(ada, "sent while bob was closed", [bob])
    restarted = clone(bob)  # what the store gives back after a restart
    assert open_(restarted, ada, pending) == "sent while bob was closed"
    assert open_(ada, restarted, seal(restarted, "back again", [ada])) == "back again"
