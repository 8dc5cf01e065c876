"""The wire format, version 1 (``docs/e2ee.md`` is its specification): the ratchet header,
the session-start preamble, a part per recipient device, the envelope the server stores, and
the payload inside each part. Big-endian integers; strings are UTF-8 with a one-byte length.

Parsing is strict: an unknown version or kind, a length past the end, trailing bytes or two
parts for one device are ``MalformedMessage``, never an exception of another kind.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from disco.client.e2ee.errors import MalformedMessage
from disco.client.e2ee.primitives import KEY_BYTES, NONCE_BYTES, pad, unpad

__all__ = [
    "CONTENT_BYTES",
    "CONTENT_TEXT",
    "ENVELOPE_VERSION",
    "PADDING_BLOCK",
    "PAYLOAD_VERSION",
    "Envelope",
    "Header",
    "Part",
    "Payload",
    "Preamble",
]

ENVELOPE_VERSION = 1
PAYLOAD_VERSION = 1
KIND_MESSAGE = 1
KIND_PREKEY_MESSAGE = 2  # carries the X3DH preamble: the peer has not answered this session yet
CONTENT_TEXT = 1  # UTF-8 text
CONTENT_BYTES = 2  # opaque bytes
PADDING_BLOCK = 160  # Signal's choice: lengths leak in steps of 160 bytes only
MAX_PARTS = 255
HEADER_BYTES = KEY_BYTES + 4 + 4


class _Reader:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self._at + size > len(self._data):
            raise MalformedMessage("truncated")
        chunk = self._data[self._at : self._at + size]
        self._at += size
        return chunk

    def u8(self) -> int:
        return self.take(1)[0]

    def u32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = struct.unpack(">Q", self.take(8))[0]
        return value

    def text(self) -> str:
        raw = self.take(self.u8())
        try:
            return raw.decode()
        except UnicodeDecodeError as exc:
            raise MalformedMessage("not UTF-8") from exc

    def rest(self) -> bytes:
        return self.take(len(self._data) - self._at)

    def end(self) -> None:
        if self._at != len(self._data):
            raise MalformedMessage("trailing bytes")


def _text(value: str) -> bytes:
    raw = value.encode()
    if not 0 < len(raw) < 256:
        raise ValueError(f"{value!r} must be 1 to 255 bytes of UTF-8")
    return bytes([len(raw)]) + raw


@dataclass(frozen=True, slots=True)
class Header:
    """The Double Ratchet header: the sender's current ratchet public key, the length of its
    previous sending chain (PN) and the message's number in the current one (N)."""

    ratchet_key: bytes
    previous_chain_length: int
    number: int

    def encode(self) -> bytes:
        return self.ratchet_key + struct.pack(">II", self.previous_chain_length, self.number)

    @classmethod
    def read(cls, reader: _Reader) -> Header:
        return cls(reader.take(KEY_BYTES), reader.u32(), reader.u32())

    @classmethod
    def decode(cls, data: bytes) -> Header:
        reader = _Reader(data)
        header = cls.read(reader)
        reader.end()
        return header


@dataclass(frozen=True, slots=True)
class Preamble:
    """What the responder needs to run X3DH: the initiator's identity key, its ephemeral
    (base) key and which of the responder's prekeys it used."""

    identity_key: bytes
    base_key: bytes
    signed_prekey_id: int
    one_time_prekey_id: int | None

    def encode(self) -> bytes:
        out = self.identity_key + self.base_key + struct.pack(">Q", self.signed_prekey_id)
        if self.one_time_prekey_id is None:
            return out + b"\x00"
        return out + b"\x01" + struct.pack(">Q", self.one_time_prekey_id)

    @classmethod
    def read(cls, reader: _Reader) -> Preamble:
        identity, base, signed = reader.take(KEY_BYTES), reader.take(KEY_BYTES), reader.u64()
        flag = reader.u8()
        if flag not in (0, 1):
            raise MalformedMessage("bad one-time prekey flag")
        return cls(identity, base, signed, reader.u64() if flag else None)

    @classmethod
    def decode(cls, data: bytes) -> Preamble:
        reader = _Reader(data)
        preamble = cls.read(reader)
        reader.end()
        return preamble


@dataclass(frozen=True, slots=True)
class Part:
    """The message encrypted for one device, in the session between sender and that device."""

    user_id: str
    device_id: str
    preamble: Preamble | None
    header: Header
    nonce: bytes
    ciphertext: bytes  # XChaCha20-Poly1305 output, tag included

    def encode(self) -> bytes:
        kind = KIND_MESSAGE if self.preamble is None else KIND_PREKEY_MESSAGE
        return b"".join(
            [
                _text(self.user_id),
                _text(self.device_id),
                bytes([kind]),
                b"" if self.preamble is None else self.preamble.encode(),
                self.header.encode(),
                self.nonce,
                struct.pack(">I", len(self.ciphertext)),
                self.ciphertext,
            ]
        )

    @classmethod
    def read(cls, reader: _Reader) -> Part:
        user_id, device_id, kind = reader.text(), reader.text(), reader.u8()
        if kind not in (KIND_MESSAGE, KIND_PREKEY_MESSAGE):
            raise MalformedMessage(f"unknown part kind {kind}")
        preamble = Preamble.read(reader) if kind == KIND_PREKEY_MESSAGE else None
        header, nonce = Header.read(reader), reader.take(NONCE_BYTES)
        return cls(user_id, device_id, preamble, header, nonce, reader.take(reader.u32()))


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the server stores (base64 in ``ciphertext``): who sent it and a part per device."""

    sender_device_id: str
    parts: tuple[Part, ...]

    def encode(self) -> bytes:
        if len(self.parts) > MAX_PARTS:
            raise ValueError("too many recipient devices")
        return b"".join(
            [
                bytes([ENVELOPE_VERSION]),
                _text(self.sender_device_id),
                bytes([len(self.parts)]),
                *(p.encode() for p in self.parts),
            ]
        )

    @classmethod
    def decode(cls, data: bytes) -> Envelope:
        reader = _Reader(data)
        version = reader.u8()
        if version != ENVELOPE_VERSION:
            raise MalformedMessage(f"unknown envelope version {version}")
        sender = reader.text()
        parts = tuple(Part.read(reader) for _ in range(reader.u8()))
        reader.end()
        if len({(p.user_id, p.device_id) for p in parts}) != len(parts):
            raise MalformedMessage("two parts for one device")
        return cls(sender, parts)

    def part_for(self, user_id: str, device_id: str) -> Part | None:
        for part in self.parts:
            if (part.user_id, part.device_id) == (user_id, device_id):
                return part
        return None


@dataclass(frozen=True, slots=True)
class Payload:
    """The plaintext of every part of one message: the franking key the sender committed with,
    the room it was sent to (so the server cannot replay it into another chat) and the body."""

    content_type: int
    franking_key: bytes
    room_id: str
    body: bytes

    def encode(self) -> bytes:
        raw = b"".join(
            [
                bytes([PAYLOAD_VERSION, self.content_type]),
                self.franking_key,
                _text(self.room_id),
                self.body,
            ]
        )
        return pad(raw, PADDING_BLOCK)

    @classmethod
    def decode(cls, padded: bytes) -> Payload:
        reader = _Reader(unpad(padded, PADDING_BLOCK))
        version, content_type = reader.u8(), reader.u8()
        if version != PAYLOAD_VERSION:
            raise MalformedMessage(f"unknown payload version {version}")
        if content_type not in (CONTENT_TEXT, CONTENT_BYTES):
            raise MalformedMessage(f"unknown content type {content_type}")
        franking_key, room_id, body = reader.take(KEY_BYTES), reader.text(), reader.rest()
        if content_type == CONTENT_TEXT:
            try:
                body.decode()
            except UnicodeDecodeError as exc:
                raise MalformedMessage("a text message that is not UTF-8") from exc
        return cls(content_type, franking_key, room_id, body)
