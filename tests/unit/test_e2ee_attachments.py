"""Attachments: a file encrypted under a key of its own, the key inside the message that sends
it, in the web client's format (``docs/e2ee.md`` §6.1); opened only from exactly the bytes its
sender uploaded."""

from __future__ import annotations

import pytest

from disco.client.e2ee.attachments import (
    MARK,
    MAX_FILE_BYTES,
    AttachmentRef,
    check_description,
    open_attachment,
    seal_attachment,
)
from disco.client.e2ee.errors import AttachmentMismatch, MessageTooLarge
from disco.client.e2ee.primitives import system_random


def sealed(data: bytes) -> tuple[AttachmentRef, bytes]:
    key, iv, upload = seal_attachment(data, system_random)
    return AttachmentRef("m-1", key, iv, "oak.jpg", "image/jpeg", len(data)), upload


def test_a_file_opens_from_its_upload_and_from_nothing_else() -> None:
    for size in (0, 1, 10_000):
        data = system_random(size)
        ref, upload = sealed(data)
        assert open_attachment(ref, upload) == data
        assert len(upload) == size + 16
        # The plaintext is not in the upload: checked where a chance match is out of reach (a
        # random byte is in 17 random ones one time in 15; 10,000 bytes never are).
        assert size < 16 or data not in upload
    ref, upload = sealed(b"a photo")
    with pytest.raises(AttachmentMismatch):
        open_attachment(ref, upload[:-1] + bytes([upload[-1] ^ 1]))
    _, other_upload = sealed(b"another photo")
    with pytest.raises(AttachmentMismatch):
        open_attachment(ref, other_upload)  # another upload of the room, under its media id


def test_a_file_over_the_servers_limit_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(MessageTooLarge):
        seal_attachment(bytes(MAX_FILE_BYTES + 1), system_random)


def test_the_reference_round_trips_and_anything_else_is_not_one() -> None:
    ref, _ = sealed(b"x")
    assert AttachmentRef.parse(ref.encode()) == ref
    for body in (
        b"hello",
        b"",
        MARK + b'{"mediaId":1}',
        MARK + b"not json",
        ref.encode().replace(b'"size":1', b'"size":"1"'),
        ref.encode()[:-5],
        MARK + b'{"a":' * 5000,  # nested past the parser's recursion limit
        MARK + b"\xef\xbb\xbf" + ref.encode()[len(MARK) :],  # a BOM: not strict UTF-8
        MARK + ref.encode()[len(MARK) :].decode().encode("utf-16"),
        ref.encode().replace(b'"size":1', b'"size":-1'),
        ref.encode().replace(b'"size":1', b'"size":true'),
        ref.encode().replace(b'"mediaId":"m-1"', b'"mediaId":"../../v1/auth/me?"'),
    ):
        assert AttachmentRef.parse(body) is None, body
    short_key = ref.encode().replace(ref.encode().split(b'"key":"')[1].split(b'"')[0], b"AAAA")
    assert AttachmentRef.parse(short_key) is None


def test_a_name_or_type_a_reference_cannot_carry_is_refused_before_the_upload() -> None:
    check_description("oak.jpg", "image/jpeg")
    for name, mime_type in (("", "image/png"), ("x" * 256, "image/png"), ("\udc80.jpg", "a/b")):
        with pytest.raises(ValueError):
            check_description(name, mime_type)
