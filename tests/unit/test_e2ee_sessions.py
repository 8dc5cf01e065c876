"""X3DH and the Double Ratchet between devices, without a server: order, loss, replay,
tampering, bounds, forward secrecy, post-compromise security and session starts."""

from __future__ import annotations

import random as stdlib_random

import pytest

from disco.client.e2ee.device import Recipient
from disco.client.e2ee.errors import (
    DecryptionFailed,
    DuplicateMessage,
    FrankingMismatch,
    NotForThisDevice,
    TooManySkippedMessages,
    UnknownPreKey,
    UntrustedKeys,
)
from disco.client.e2ee.ratchet import MAX_SKIP, MAX_SKIPPED_KEYS
from disco.client.e2ee.wire import CONTENT_TEXT, Envelope, Header, Part
from tests.support.e2ee import bundle_of, clone, new_device, open_, seal, try_open


def test_two_devices_talk_both_ways_and_the_preamble_stops_once_answered() -> None:
    ada, bob = new_device("ada"), new_device("bob")
    first = seal(ada, "hello bob", [bob])
    second = seal(ada, "are you there?", [bob])
    assert all(p.preamble is not None for p in Envelope.decode(second.envelope).parts)
    assert open_(bob, ada, first) == "hello bob"
    assert open_(bob, ada, second) == "are you there?"
    assert open_(ada, bob, seal(bob, "hi ada", [ada])) == "hi ada"
    after_answer = seal(ada, "great", [bob])
    (part,) = Envelope.decode(after_answer.envelope).parts
    assert part.preamble is None
    assert open_(bob, ada, after_answer) == "great"
    for n in range(5):  # many turns of the DH ratchet
        assert open_(ada, bob, seal(bob, f"b{n}", [ada])) == f"b{n}"
        assert open_(bob, ada, seal(ada, f"a{n}", [bob])) == f"a{n}"


def test_late_and_lost_messages_across_ratchet_steps() -> None:
    ada, bob = new_device("ada"), new_device("bob")
    open_(bob, ada, seal(ada, "start", [bob]))
    open_(ada, bob, seal(bob, "ok", [ada]))
    chain_one = [seal(ada, f"one-{n}", [bob]) for n in range(8)]
    # Bob reads some of the first chain, shuffled; 3 and 5 are late, 6 is lost for good.
    for n in stdlib_random.Random(7).sample([0, 1, 2, 4, 7], 5):
        assert open_(bob, ada, chain_one[n]) == f"one-{n}"
    open_(ada, bob, seal(bob, "reply", [ada]))
    chain_two = [seal(ada, f"two-{n}", [bob]) for n in range(3)]
    assert open_(bob, ada, chain_two[2]) == "two-2"  # skips the rest of chain one (PN)
    assert open_(bob, ada, chain_one[5]) == "one-5"
    assert open_(bob, ada, chain_two[0]) == "two-0"
    assert open_(bob, ada, chain_one[3]) == "one-3"
    assert open_(bob, ada, chain_two[1]) == "two-1"


def test_a_replayed_message_is_refused_and_changes_nothing() -> None:
    ada, bob = new_device("ada"), new_device("bob")
    open_(bob, ada, seal(ada, "start", [bob]))
    open_(ada, bob, seal(bob, "ok", [ada]))
    once = seal(ada, "once", [bob])
    assert open_(bob, ada, once) == "once"
    before = bob.sessions.to_json()
    with pytest.raises(DuplicateMessage):
        try_open(bob, ada, once)
    assert bob.sessions.to_json() == before
    late = seal(ada, "twice?", [bob])
    skipped = seal(ada, "later", [bob])
    assert open_(bob, ada, skipped) == "later"
    assert open_(bob, ada, late) == "twice?"  # from the skipped keys, once
    with pytest.raises(DecryptionFailed):
        try_open(bob, ada, late)


def _tampered(sealed_envelope: bytes, change: str) -> bytes:
    envelope = Envelope.decode(sealed_envelope)
    (part,) = envelope.parts
    if change == "ciphertext":
        flipped = bytes([part.ciphertext[0] ^ 1]) + part.ciphertext[1:]
        part = Part(part.user_id, part.device_id, part.preamble, part.header, part.nonce, flipped)
    elif change == "nonce":
        nonce = bytes([part.nonce[0] ^ 1]) + part.nonce[1:]
        part = Part(
            part.user_id, part.device_id, part.preamble, part.header, nonce, part.ciphertext
        )
    else:
        header = Header(part.header.ratchet_key, part.header.previous_chain_length, 1)
        part = Part(
            part.user_id, part.device_id, part.preamble, header, part.nonce, part.ciphertext
        )
    return Envelope(envelope.sender_device_id, (part,)).encode()


@pytest.mark.parametrize("change", ["ciphertext", "nonce", "header"])
def test_a_tampered_message_is_refused_and_the_genuine_one_still_opens(change: str) -> None:
    ada, bob = new_device("ada"), new_device("bob")
    open_(bob, ada, seal(ada, "start", [bob]))
    open_(ada, bob, seal(bob, "ok", [ada]))
    genuine = seal(ada, "the real one", [bob])
    before = bob.sessions.to_json()
    forged = Envelope.decode(_tampered(genuine.envelope, change))
    with pytest.raises(DecryptionFailed):
        bob.open("ada", "room-1", forged, genuine.franking_tag, None)
    assert bob.sessions.to_json() == before
    assert open_(bob, ada, genuine) == "the real one"


def test_a_forged_counter_cannot_make_a_device_store_unbounded_keys() -> None:
    ada, bob = new_device("ada"), new_device("bob")
    open_(bob, ada, seal(ada, "start", [bob]))
    sealed = seal(ada, "far ahead", [bob])
    (part,) = Envelope.decode(sealed.envelope).parts
    header = Header(part.header.ratchet_key, 0, MAX_SKIP + 5)
    forged = Part(part.user_id, part.device_id, None, header, part.nonce, part.ciphertext)
    with pytest.raises(TooManySkippedMessages):
        bob.open("ada", "room-1", Envelope("phone", (forged,)), sealed.franking_tag, None)
    # Honest gaps add up, but never past the global bound: the oldest keys go first.
    for _ in range(3):
        for _ in range(MAX_SKIP - 1):
            seal(ada, "lost", [bob])
        open_(bob, ada, seal(ada, "arrives", [bob]))
    (session,) = [bob.sessions.current(("ada", "phone"))]
    assert session is not None and len(session.ratchet.skipped) == MAX_SKIPPED_KEYS


def test_forward_secrecy_a_copied_state_opens_no_earlier_message() -> None:
    ada, bob = new_device("ada"), new_device("bob")
    first = seal(ada, "first, with a one-time prekey", [bob])
    open_(bob, ada, first)
    recorded = [(ada, first)]
    for n in range(3):
        from_bob = seal(bob, f"bob {n}", [ada])
        open_(ada, bob, from_bob)
        from_ada = seal(ada, f"ada {n}", [bob])
        open_(bob, ada, from_ada)
        recorded += [(bob, from_bob), (ada, from_ada)]
    thieves = {"ada": clone(bob), "bob": clone(ada)}  # each steals the other's reader
    for sender, sealed in recorded:
        with pytest.raises(DecryptionFailed):
            try_open(thieves[sender.user_id], sender, sealed)


def test_post_compromise_security_heals_after_the_victims_next_ratchet_step() -> None:
    ada, bob = new_device("ada"), new_device("bob")
    open_(bob, ada, seal(ada, "start", [bob]))
    open_(ada, bob, seal(bob, "ok", [ada]))
    open_(bob, ada, seal(ada, "before the theft", [bob]))
    thief = clone(bob)  # Bob's whole stored state, taken; the thief only listens from now on
    right_after = seal(ada, "sent right after the theft", [bob])
    assert open_(thief, ada, right_after) == "sent right after the theft"  # the theft works
    open_(bob, ada, right_after)
    # Bob's reply still uses the ratchet key he made before the theft, so Ada's answer to it
    # is readable to the thief too.
    open_(ada, bob, seal(bob, "reply on the stolen key", [ada]))
    ada_turn = seal(ada, "ada turns the ratchet", [bob])
    assert open_(thief, ada, ada_turn) == "ada turns the ratchet"
    open_(bob, ada, ada_turn)  # Bob's DH ratchet step: a fresh key the thief never saw
    open_(ada, bob, seal(bob, "bob on a fresh key", [ada]))
    healed = [seal(ada, f"ada after the healing {n}", [bob]) for n in range(2)]
    for sealed in healed:
        with pytest.raises(DecryptionFailed):
            try_open(thief, ada, sealed)
    assert [open_(bob, ada, s) for s in healed] == [
        "ada after the healing 0",
        "ada after the healing 1",
    ]


def test_the_initiator_refuses_a_signed_prekey_its_identity_did_not_sign() -> None:
    ada, bob, mallory = new_device("ada"), new_device("bob"), new_device("mallory")
    honest = bundle_of(bob)
    forged = type(honest)(
        honest.device_id,
        honest.identity_key,
        honest.signed_prekey_id,
        mallory.keys.signed_prekey.pair.public,  # the server swaps in a key of its own
        honest.signed_prekey_signature,
        honest.one_time_prekey_id,
        honest.one_time_prekey,
    )
    with pytest.raises(UntrustedKeys):
        ada.seal("room-1", CONTENT_TEXT, b"x", [Recipient("bob", "phone", forged)])


def test_a_session_start_from_an_identity_the_directory_does_not_list_is_refused() -> None:
    ada, bob, mallory = new_device("ada"), new_device("bob"), new_device("mallory")
    sealed = seal(mallory, "I am ada", [bob])
    envelope = Envelope.decode(sealed.envelope)
    with pytest.raises(UntrustedKeys):
        bob.open("ada", "room-1", envelope, sealed.franking_tag, ada.keys.identity.public)


def test_a_one_time_prekey_starts_one_session_only() -> None:
    ada, bob = new_device("ada"), new_device("bob")
    start = seal(ada, "start", [bob])
    blank_bob = clone(bob)  # Bob's keys before any session: the prekey still there
    open_(bob, ada, start)
    with pytest.raises(DuplicateMessage):
        try_open(bob, ada, start)
    # The same start against keys without the session but after the prekey was used.
    used = clone(bob)
    used.sessions.forget(("ada", "phone"))
    with pytest.raises(UnknownPreKey):
        try_open(used, ada, start)
    assert open_(blank_bob, ada, start) == "start"


def test_a_session_starts_from_a_signed_prekey_rotated_out_since() -> None:
    ada, bob = new_device("ada"), new_device("bob")
    old_bundle = bundle_of(bob)
    bob.keys.rotate_signed_prekey(lambda n: bytes([9]) * n, 1.0)
    sealed = ada.seal(
        "room-1", CONTENT_TEXT, b"from an old bundle", [Recipient("bob", "phone", old_bundle)]
    )
    sealed.commit()
    assert open_(bob, ada, sealed) == "from an old bundle"


def test_sessions_started_by_both_at_once_both_work() -> None:
    ada, bob = new_device("ada"), new_device("bob")
    from_ada, from_bob = seal(ada, "hi from ada", [bob]), seal(bob, "hi from bob", [ada])
    assert open_(bob, ada, from_ada) == "hi from ada"
    assert open_(ada, bob, from_bob) == "hi from bob"
    for n in range(3):
        assert open_(bob, ada, seal(ada, f"ada {n}", [bob])) == f"ada {n}"
        assert open_(ada, bob, seal(bob, f"bob {n}", [ada])) == f"bob {n}"


def test_a_message_is_bound_to_its_room_and_its_franking_tag() -> None:
    ada, bob = new_device("ada"), new_device("bob")
    sealed = seal(ada, "for room one", [bob])
    before = bob.sessions.to_json()
    with pytest.raises(DecryptionFailed):
        try_open(bob, ada, sealed, room="room-2")  # replayed by the server into another chat
    envelope = Envelope.decode(sealed.envelope)
    with pytest.raises(FrankingMismatch):
        bob.open("ada", "room-1", envelope, bytes(32), ada.keys.identity.public)
    assert bob.sessions.to_json() == before
    assert open_(bob, ada, sealed) == "for room one"


def test_one_envelope_carries_a_part_for_every_device_and_only_those() -> None:
    ada_phone, ada_laptop = new_device("ada", "phone"), new_device("ada", "laptop")
    bob_phone, bob_tablet = new_device("bob", "phone"), new_device("bob", "tablet")
    sealed = seal(ada_phone, "to everyone", [bob_phone, bob_tablet, ada_laptop])
    parts = Envelope.decode(sealed.envelope).parts
    assert [(p.user_id, p.device_id) for p in parts] == [
        ("ada", "laptop"),
        ("bob", "phone"),
        ("bob", "tablet"),
    ]
    for reader in (bob_phone, bob_tablet, ada_laptop):
        assert open_(reader, ada_phone, sealed) == "to everyone"
    with pytest.raises(NotForThisDevice):
        try_open(new_device("bob", "watch"), ada_phone, sealed)
    # Each device reads what the other device of its person sent.
    assert open_(ada_phone, ada_laptop, seal(ada_laptop, "from my laptop", [ada_phone])) == (
        "from my laptop"
    )
