"""The end-to-end encryption test vectors (``tests/vectors/e2ee.json``): fixed inputs, and
``compute`` that derives every expected output from them with the SDK.

``tests/unit/test_e2ee_vectors.py`` recomputes the file's outputs from its inputs; the web
client's tests are to do the same with libsodium-wrappers and WebCrypto. To write the file
again (only when the wire format changes, with a new version): ``python -m
tests.vectors.e2ee_vectors``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from disco.client.e2ee import x3dh
from disco.client.e2ee.attachments import AttachmentRef, seal_attachment
from disco.client.e2ee.device import Device, Recipient, Sealed
from disco.client.e2ee.fingerprint import fingerprint, safety_number
from disco.client.e2ee.franking import commit
from disco.client.e2ee.prekeys import DeviceKeys, SignedPreKey
from disco.client.e2ee.primitives import (
    DhKeyPair,
    IdentityKeyPair,
    aead_encrypt,
    dh,
    hkdf_sha256,
    hmac_sha256,
)
from disco.client.e2ee.ratchet import RatchetState, kdf_ck, kdf_rk
from disco.client.e2ee.sessions import SessionBook
from disco.client.e2ee.wire import CONTENT_TEXT, Envelope, Part, Payload
from tests.support.e2ee import ScriptedRandom

PATH = Path(__file__).with_name("e2ee.json")
h = bytes.fromhex


def _key(label: str, size: int = 32) -> str:
    """A fixed, reproducible key: SHA-512 of a label, cut to size (hex)."""
    return hashlib.sha512(f"disco e2ee vector: {label}".encode()).digest()[:size].hex()


def inputs() -> dict[str, Any]:
    """The vectors' inputs. The file lists them as bytes (hex): nobody needs this function."""
    return {
        "primitives": {
            "x25519": {  # RFC 7748, section 6.1
                "alicePrivate": "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
                "bobPrivate": "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
            },
            "ed25519": {  # RFC 8032, section 7.1, test 1
                "seed": "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "message": "",
            },
            "hkdfSha256": {  # RFC 5869, appendix A.1
                "ikm": "0b" * 22,
                "salt": bytes(range(13)).hex(),
                "info": bytes(range(0xF0, 0xFA)).hex(),
                "length": 42,
            },
            "hmacSha256": {  # RFC 4231, test case 2
                "key": b"Jefe".hex(),
                "message": b"what do ya want for nothing?".hex(),
            },
            "xchacha20poly1305": {  # draft-irtf-cfrg-xchacha-03, appendix A.3.1
                "key": bytes(range(0x80, 0xA0)).hex(),
                "nonce": bytes(range(0x40, 0x58)).hex(),
                "associatedData": "50515253c0c1c2c3c4c5c6c7",
                "plaintext": (
                    b"Ladies and Gentlemen of the class of '99: If I could offer you only one"
                    b" tip for the future, sunscreen would be it."
                ).hex(),
            },
        },
        "x3dh": {
            "aliceIdentitySeed": _key("alice phone identity"),
            "bobIdentitySeed": _key("bob phone identity"),
            "bobSignedPreKeyId": 1,
            "bobSignedPreKeyPrivate": _key("bob phone signed prekey"),
            "bobOneTimePreKeyId": 7,
            "bobOneTimePreKeyPrivate": _key("bob phone one-time prekey"),
            "aliceEphemeralPrivate": _key("alice ephemeral to bob phone"),
        },
        "ratchet": {"aliceRatchetPrivate": _key("alice first ratchet key to bob phone")},
        "conversation": {
            "room": "room-1",
            "users": {"alice": "user-alice", "bob": "user-bob"},
            "devices": {
                "alice/phone": {"identitySeed": _key("alice phone identity")},
                "bob/phone": {
                    "identitySeed": _key("bob phone identity"),
                    "signedPreKeyId": 1,
                    "signedPreKeyPrivate": _key("bob phone signed prekey"),
                    "oneTimePreKeyId": 7,
                    "oneTimePreKeyPrivate": _key("bob phone one-time prekey"),
                },
                "bob/laptop": {
                    "identitySeed": _key("bob laptop identity"),
                    "signedPreKeyId": 1,
                    "signedPreKeyPrivate": _key("bob laptop signed prekey"),
                },
            },
            # What each device draws from its random source, in order (docs/e2ee.md, "Draws").
            "draws": {
                "alice/phone": [
                    _key("m1 franking key"),
                    _key("alice ephemeral to bob laptop"),
                    _key("alice first ratchet key to bob laptop"),
                    _key("m1 nonce bob laptop", 24),
                    _key("alice ephemeral to bob phone"),
                    _key("alice first ratchet key to bob phone"),
                    _key("m1 nonce bob phone", 24),
                    _key("m2 franking key"),
                    _key("m2 nonce bob laptop", 24),
                    _key("m2 nonce bob phone", 24),
                    _key("alice ratchet key after m3"),
                    _key("m4 franking key"),
                    _key("m4 nonce bob laptop", 24),
                    _key("m4 nonce bob phone", 24),
                ],
                "bob/phone": [
                    _key("bob phone ratchet key after m2"),
                    _key("m3 franking key"),
                    _key("m3 nonce alice phone", 24),
                    _key("bob phone ephemeral to bob laptop"),
                    _key("bob phone first ratchet key to bob laptop"),
                    _key("m3 nonce bob laptop", 24),
                    _key("bob phone ratchet key after m4"),
                ],
                "bob/laptop": [
                    _key("bob laptop ratchet key after m1"),
                    _key("bob laptop ratchet key after m3"),
                ],
            },
            # In this order: seal (send) a message, or open one on a device.
            "steps": [
                {"seal": "m1", "by": "alice/phone", "to": ["bob/laptop", "bob/phone"],
                 "text": "Hi Bob! Coffee at the corner place at 5?"},
                {"seal": "m2", "by": "alice/phone", "to": ["bob/laptop", "bob/phone"],
                 "text": "(or 6, if you are still at work)"},
                {"open": "m2", "on": "bob/phone"},
                {"open": "m1", "on": "bob/phone"},
                {"open": "m1", "on": "bob/laptop"},
                {"open": "m2", "on": "bob/laptop"},
                {"seal": "m3", "by": "bob/phone", "to": ["alice/phone", "bob/laptop"],
                 "text": "5 is perfect \u2615 see you there"},
                {"open": "m3", "on": "alice/phone"},
                {"open": "m3", "on": "bob/laptop"},
                {"seal": "m4", "by": "alice/phone", "to": ["bob/laptop", "bob/phone"],
                 "text": "\U0001f44b"},
                {"open": "m4", "on": "bob/phone"},
                {"open": "m4", "on": "bob/laptop"},
            ],
        },
        "franking": {"key": _key("a franking key"), "body": b"you will regret this".hex()},
        "attachment": {  # docs/e2ee.md 6.1: the key, then the nonce, drawn in that order
            "key": _key("an attachment key"),
            "iv": _key("an attachment nonce", 12),
            "file": b"\x89PNG not really a picture".hex(),
            "mediaId": "6f1f3c2e-3d4b-4a5c-9e8f-0a1b2c3d4e5f",
            "name": "the oak \U0001f333.png",
            "type": "image/png",
        },
    }  # fmt: skip


def compute(given: dict[str, Any]) -> dict[str, Any]:
    """Every expected output, from the inputs alone."""
    x3dh_out, ratchet_out = _x3dh(given["x3dh"], given["ratchet"])
    conversation, identities = _conversation(given["conversation"])
    users = given["conversation"]["users"]
    franking = given["franking"]
    return {
        "primitives": _primitives(given["primitives"]),
        "x3dh": x3dh_out,
        "ratchet": ratchet_out,
        "conversation": conversation,
        "safetyNumber": _safety_number(users, identities),
        "franking": {"tag": commit(h(franking["key"]), h(franking["body"])).hex()},
        "attachment": _attachment(given["attachment"]),
    }


def _attachment(given: dict[str, Any]) -> dict[str, Any]:
    file = h(given["file"])
    key, iv, upload = seal_attachment(file, ScriptedRandom([given["key"], given["iv"]]))
    ref = AttachmentRef(given["mediaId"], key, iv, given["name"], given["type"], len(file))
    return {"upload": upload.hex(), "body": ref.encode().hex()}


def _primitives(given: dict[str, Any]) -> dict[str, Any]:
    x = given["x25519"]
    alice, bob = (
        DhKeyPair.from_private(h(x["alicePrivate"])),
        DhKeyPair.from_private(h(x["bobPrivate"])),
    )
    ed = IdentityKeyPair(h(given["ed25519"]["seed"]))
    kdf, mac, aead = given["hkdfSha256"], given["hmacSha256"], given["xchacha20poly1305"]
    return {
        "x25519": {
            "alicePublic": alice.public.hex(),
            "bobPublic": bob.public.hex(),
            "shared": dh(alice, bob.public).hex(),
        },
        "ed25519": {
            "public": ed.public.hex(),
            "signature": ed.sign(h(given["ed25519"]["message"])).hex(),
        },
        "hkdfSha256": hkdf_sha256(
            h(kdf["ikm"]), salt=h(kdf["salt"]), info=h(kdf["info"]), length=kdf["length"]
        ).hex(),
        "hmacSha256": hmac_sha256(h(mac["key"]), h(mac["message"])).hex(),
        "xchacha20poly1305": aead_encrypt(
            h(aead["key"]), h(aead["nonce"]), h(aead["plaintext"]), h(aead["associatedData"])
        ).hex(),
    }


def _x3dh(given: dict[str, Any], ratchet: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    alice = IdentityKeyPair(h(given["aliceIdentitySeed"]))
    bob = IdentityKeyPair(h(given["bobIdentitySeed"]))
    signed = DhKeyPair.from_private(h(given["bobSignedPreKeyPrivate"]))
    one_time = DhKeyPair.from_private(h(given["bobOneTimePreKeyPrivate"]))
    ephemeral = DhKeyPair.from_private(h(given["aliceEphemeralPrivate"]))
    bundle = x3dh.DeviceBundle(
        "phone",
        bob.public,
        given["bobSignedPreKeyId"],
        signed.public,
        bob.sign(signed.public),
        given["bobOneTimePreKeyId"],
        one_time.public,
    )
    agreement, _ = x3dh.initiate(alice, bundle, ephemeral)
    without, _ = x3dh.initiate(alice, bundle.without_one_time_prekey(), ephemeral)
    alice_dh, bob_dh = alice.dh_pair(), bob.dh_pair()
    x3dh_out = {
        "aliceIdentityKey": alice.public.hex(),
        "aliceIdentityX25519Private": alice_dh.private.hex(),
        "aliceIdentityX25519Public": alice_dh.public.hex(),
        "bobIdentityKey": bob.public.hex(),
        "bobIdentityX25519Public": bob_dh.public.hex(),
        "bobSignedPreKeyPublic": signed.public.hex(),
        "bobSignedPreKeySignature": bundle.signed_prekey_signature.hex(),
        "bobOneTimePreKeyPublic": one_time.public.hex(),
        "aliceEphemeralPublic": ephemeral.public.hex(),
        "dh1": dh(alice_dh, signed.public).hex(),
        "dh2": dh(ephemeral, bob_dh.public).hex(),
        "dh3": dh(ephemeral, signed.public).hex(),
        "dh4": dh(ephemeral, one_time.public).hex(),
        "sharedSecret": agreement.shared_secret.hex(),
        "sharedSecretWithoutOneTimePreKey": without.shared_secret.hex(),
        "associatedData": agreement.associated_data.hex(),
    }
    ratchet_key = DhKeyPair.from_private(h(ratchet["aliceRatchetPrivate"]))
    state = RatchetState.initiator(agreement.shared_secret, signed.public, ratchet_key)
    root, chain = kdf_rk(agreement.shared_secret, dh(ratchet_key, signed.public))
    assert (root, chain) == (state.root_key, state.sending_chain)
    steps = []
    for _ in range(3):
        next_chain, message_key = kdf_ck(chain)
        steps.append(
            {
                "chainKey": chain.hex(),
                "messageKey": message_key.hex(),
                "nextChainKey": next_chain.hex(),
            }
        )
        chain = next_chain
    ratchet_out = {
        "aliceRatchetPublic": ratchet_key.public.hex(),
        "dhOutput": dh(ratchet_key, signed.public).hex(),
        "rootKey": root.hex(),
        "sendingChain": steps,
    }
    return x3dh_out, ratchet_out


def _device(user_id: str, device_id: str, keys: dict[str, Any], random: ScriptedRandom) -> Device:
    identity = IdentityKeyPair(h(keys["identitySeed"]))
    signed = []
    if "signedPreKeyPrivate" in keys:
        pair = DhKeyPair.from_private(h(keys["signedPreKeyPrivate"]))
        signed = [SignedPreKey(keys["signedPreKeyId"], pair, identity.sign(pair.public), 0.0)]
    one_time = {}
    if "oneTimePreKeyPrivate" in keys:
        one_time[keys["oneTimePreKeyId"]] = DhKeyPair.from_private(h(keys["oneTimePreKeyPrivate"]))
    return Device(
        user_id, device_id, DeviceKeys(identity, signed, one_time, 100), SessionBook(), random
    )


def _bundle(device: Device, one_time_id: int | None) -> x3dh.DeviceBundle:
    """As the directory hands it out: with the device's one-time prekey if it has one left."""
    pair = None if one_time_id is None else device.keys.one_time_prekey_pair(one_time_id)
    one_time = {} if pair is None or one_time_id is None else {one_time_id: pair}
    upload = device.keys.upload(device.device_id, one_time)
    handed = upload["oneTimePreKeys"][0] if one_time else None
    return x3dh.DeviceBundle.from_api({**upload, "oneTimePreKey": handed})


def _part_json(part: Part) -> dict[str, Any]:
    preamble = part.preamble
    return {
        "userId": part.user_id,
        "deviceId": part.device_id,
        "preamble": None
        if preamble is None
        else {
            "identityKey": preamble.identity_key.hex(),
            "baseKey": preamble.base_key.hex(),
            "signedPreKeyId": preamble.signed_prekey_id,
            "oneTimePreKeyId": preamble.one_time_prekey_id,
        },
        "header": part.header.encode().hex(),
        "nonce": part.nonce.hex(),
        "ciphertext": part.ciphertext.hex(),
    }


def _conversation(given: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list[bytes]]]:
    users, room = given["users"], given["room"]
    randoms = {name: ScriptedRandom(draws) for name, draws in given["draws"].items()}
    devices = {
        name: _device(users[name.split("/")[0]], name.split("/")[1], keys, randoms[name])
        for name, keys in given["devices"].items()
    }
    sealed: dict[str, tuple[str, Sealed]] = {}
    messages: dict[str, Any] = {}
    for step in given["steps"]:
        if "seal" in step:
            sender = devices[step["by"]]
            recipients = [
                Recipient(
                    devices[name].user_id,
                    devices[name].device_id,
                    None
                    if sender.sessions.current((devices[name].user_id, devices[name].device_id))
                    else _bundle(devices[name], given["devices"][name].get("oneTimePreKeyId")),
                )
                for name in step["to"]
            ]
            result = sender.seal(room, CONTENT_TEXT, step["text"].encode(), recipients)
            result.commit()
            sealed[step["seal"]] = (step["by"], result)
            messages[step["seal"]] = {
                "frankingTag": result.franking_tag.hex(),
                "payload": result.payload.encode().hex(),
                "parts": [_part_json(p) for p in Envelope.decode(result.envelope).parts],
                "envelope": base64.b64encode(result.envelope).decode(),
                "openedOn": {},
            }
        else:
            by, result = sealed[step["open"]]
            reader, sender = devices[step["on"]], devices[by]
            opened = reader.open(
                sender.user_id,
                room,
                Envelope.decode(result.envelope),
                result.franking_tag,
                sender.keys.identity.public,
            )
            opened.commit()
            assert opened.payload == Payload.decode(result.payload.encode())
            messages[step["open"]]["openedOn"][step["on"]] = opened.payload.body.decode()
    assert all(r.exhausted for r in randoms.values()), "every scripted draw is used"
    identities: dict[str, list[bytes]] = {}
    for device in devices.values():
        identities.setdefault(device.user_id, []).append(device.keys.identity.public)
    return {"messages": messages}, identities


def _safety_number(users: dict[str, str], identities: dict[str, list[bytes]]) -> dict[str, Any]:
    alice, bob = users["alice"], users["bob"]
    number = safety_number(alice, identities[alice], bob, identities[bob])
    return {
        "fingerprints": {
            alice: fingerprint(alice, identities[alice])[:32].hex(),
            bob: fingerprint(bob, identities[bob])[:32].hex(),
        },
        "digits": number.digits,
        "groups": number.groups,
        "qrPayload": number.qr_payload,
    }


def document() -> dict[str, Any]:
    given = inputs()
    return {
        "description": (
            "Disco end-to-end encryption, wire format v1 (docs/e2ee.md). Bytes are hex except"
            " envelopes (base64, as the API carries them). Recompute 'expected' from 'inputs'."
        ),
        "version": 1,
        "inputs": given,
        "expected": compute(given),
    }


if __name__ == "__main__":
    PATH.write_text(json.dumps(document(), indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {PATH}")
