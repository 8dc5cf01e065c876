"""The wire format: what is encoded decodes to the same thing, and any other bytes are
refused as malformed (never another exception), whatever a server or a peer sends."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from disco.client.e2ee.errors import MalformedMessage
from disco.client.e2ee.wire import (
    CONTENT_BYTES,
    CONTENT_TEXT,
    PADDING_BLOCK,
    Envelope,
    Header,
    Part,
    Payload,
    Preamble,
)

KEY = bytes(range(32))


def _part(device: str, preamble: Preamble | None) -> Part:
    return Part("user-1", device, preamble, Header(KEY, 3, 7), bytes(24), b"c" * 40)


def test_an_envelope_decodes_to_what_was_encoded() -> None:
    envelope = Envelope(
        "laptop",
        (
            _part("phone", Preamble(KEY, KEY[::-1], 2**40, None)),
            _part("tablet", Preamble(KEY, KEY, 1, 99)),
            _part("watch", None),
        ),
    )
    assert Envelope.decode(envelope.encode()) == envelope
    assert envelope.part_for("user-1", "tablet") == envelope.parts[1]
    assert envelope.part_for("user-2", "tablet") is None


def test_a_payload_is_padded_to_hide_its_length() -> None:
    short = Payload(CONTENT_TEXT, KEY, "room", b"hi").encode()
    longer = Payload(CONTENT_TEXT, KEY, "room", b"hi there, how are you?").encode()
    assert len(short) == len(longer) == PADDING_BLOCK
    assert Payload.decode(longer).body == b"hi there, how are you?"
    big = Payload(CONTENT_BYTES, KEY, "room", bytes(500))
    assert len(big.encode()) % PADDING_BLOCK == 0 and Payload.decode(big.encode()) == big


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x02",  # an unknown version
        Envelope("phone", (_part("phone", None),)).encode() + b"\x00",  # trailing bytes
        Envelope("phone", (_part("phone", None), _part("phone", None))).encode(),  # same device
    ],
)
def test_malformed_envelopes_are_refused(data: bytes) -> None:
    with pytest.raises(MalformedMessage):
        Envelope.decode(data)


def test_a_text_payload_must_be_utf8() -> None:
    bad = Payload(CONTENT_TEXT, KEY, "room", b"\xff\xfe").encode()
    with pytest.raises(MalformedMessage):
        Payload.decode(bad)


@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None)
def test_any_bytes_decode_or_are_malformed(data: bytes) -> None:
    for decode in (Envelope.decode, Payload.decode, Header.decode, Preamble.decode):
        with contextlib.suppress(MalformedMessage):
            decode(data)


@given(st.integers(min_value=0, max_value=10_000), st.binary(min_size=1, max_size=4))
@settings(max_examples=200, deadline=None)
def test_a_cut_envelope_is_malformed_and_a_longer_one_too(cut: int, junk: bytes) -> None:
    whole = Envelope(
        "phone", (_part("phone", Preamble(KEY, KEY, 5, 6)), _part("tablet", None))
    ).encode()
    for data in (whole[: cut % len(whole)], whole + junk):
        with pytest.raises(MalformedMessage):
            Envelope.decode(data)
