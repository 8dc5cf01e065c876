"""The test vectors of ``tests/vectors/e2ee.json``: every expected output recomputed from the
file's inputs, the primitives checked against their published test vectors, and the sections
checked against each other (the first message key of the ratchet section opens the first
message of the conversation), so the file is right, not merely consistent with itself."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from disco.client.e2ee.attachments import AttachmentRef, open_attachment
from disco.client.e2ee.primitives import aead_decrypt
from disco.client.e2ee.wire import Envelope, Header, Payload
from tests.vectors.e2ee_vectors import PATH, compute

FILE: dict[str, Any] = json.loads(PATH.read_text())
RECOMPUTED = compute(FILE["inputs"])

PUBLISHED = {
    "x25519": {  # RFC 7748, 6.1
        "alicePublic": "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a",
        "bobPublic": "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
        "shared": "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742",
    },
    "ed25519": {  # RFC 8032, 7.1 test 1
        "public": "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "signature": "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
        "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    },
    "hkdfSha256": "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
    "34007208d5b887185865",  # RFC 5869, A.1
    "hmacSha256": "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",  # 4231
    "xchacha20poly1305": (  # draft-irtf-cfrg-xchacha-03, A.3.1: ciphertext || tag
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa644"
        "0bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e"
        "3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
        "c0875924c1c7987947deafd8780acf49"
    ),
}


@pytest.mark.parametrize("section", sorted(FILE["expected"]))
def test_each_section_is_recomputed_from_its_inputs(section: str) -> None:
    assert RECOMPUTED[section] == FILE["expected"][section]


def test_the_primitives_match_their_published_vectors() -> None:
    assert FILE["expected"]["primitives"] == PUBLISHED


def test_the_first_message_opens_with_the_ratchet_sections_first_message_key() -> None:
    expected = FILE["expected"]
    first = expected["conversation"]["messages"]["m1"]
    (to_phone,) = [p for p in first["parts"] if p["deviceId"] == "phone"]
    assert to_phone["preamble"]["baseKey"] == expected["x3dh"]["aliceEphemeralPublic"]
    assert to_phone["preamble"]["identityKey"] == expected["x3dh"]["aliceIdentityKey"]
    assert to_phone["preamble"]["oneTimePreKeyId"] == FILE["inputs"]["x3dh"]["bobOneTimePreKeyId"]
    header = Header.decode(bytes.fromhex(to_phone["header"]))
    assert header.ratchet_key.hex() == expected["ratchet"]["aliceRatchetPublic"]
    assert (header.previous_chain_length, header.number) == (0, 0)
    message_key = bytes.fromhex(expected["ratchet"]["sendingChain"][0]["messageKey"])
    associated = bytes.fromhex(expected["x3dh"]["associatedData"]) + header.encode()
    payload = aead_decrypt(
        message_key,
        bytes.fromhex(to_phone["nonce"]),
        bytes.fromhex(to_phone["ciphertext"]),
        associated,
    )
    assert payload.hex() == first["payload"]
    assert (
        Payload.decode(payload).body.decode() == FILE["inputs"]["conversation"]["steps"][0]["text"]
    )


def test_every_envelope_is_its_parts_and_every_device_read_the_text() -> None:
    steps = FILE["inputs"]["conversation"]["steps"]
    texts = {s["seal"]: s["text"] for s in steps if "seal" in s}
    readers = {s["open"]: set() for s in steps if "open" in s}
    for s in steps:
        if "open" in s:
            readers[s["open"]].add(s["on"])
    for name, message in FILE["expected"]["conversation"]["messages"].items():
        envelope = Envelope.decode(base64.b64decode(message["envelope"]))
        assert [p.ciphertext.hex() for p in envelope.parts] == [
            p["ciphertext"] for p in message["parts"]
        ]
        assert message["openedOn"] == dict.fromkeys(readers[name], texts[name])


def test_the_attachment_vector_opens_to_its_file() -> None:
    given, expected = FILE["inputs"]["attachment"], FILE["expected"]["attachment"]
    ref = AttachmentRef.parse(bytes.fromhex(expected["body"]))
    assert ref is not None
    named = (ref.media_id, ref.name, ref.mime_type)
    assert named == (given["mediaId"], given["name"], given["type"])
    upload = bytes.fromhex(expected["upload"])
    assert open_attachment(ref, upload) == bytes.fromhex(given["file"])
