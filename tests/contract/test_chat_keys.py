"""The key directory of end-to-end encryption, and message franking: as the apps (and an
attacker) use them through the public API."""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any

import pytest
from nacl.public import PrivateKey
from nacl.signing import SigningKey

from disco.platform.franking import commitment
from tests.support.backends import Running
from tests.support.chat import chatting
from tests.support.poll import eventually
from tests.support.safety import moderator, uid
from tests.support.users import person


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def device_keys(
    device_id: str, prekeys: int = 5, identity: SigningKey | None = None
) -> dict[str, Any]:
    """A device's upload, made as a client makes it (libsodium primitives)."""
    identity = identity or SigningKey.generate()
    signed = PrivateKey.generate().public_key.encode()
    return {
        "deviceId": device_id,
        "identityKey": b64(identity.verify_key.encode()),
        "signedPreKey": {
            "keyId": 1,
            "publicKey": b64(signed),
            "signature": b64(identity.sign(signed).signature),
        },
        "oneTimePreKeys": [
            {"keyId": n, "publicKey": b64(PrivateKey.generate().public_key.encode())}
            for n in range(prekeys)
        ],
    }


async def test_one_time_prekeys_are_handed_out_once_to_peers_only(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    eve = await person(disco.url, "Eve")
    async with ada, bob, eve:
        match_id, _ = await chatting(disco.system, ada, bob)
        upload = device_keys("phone", prekeys=5)
        mine = await ada.put("/v1/keys", upload)
        assert mine["devices"][0]["oneTimePreKeysLeft"] == 5
        assert mine["devices"][0]["low"] is True

        # Ten fetches at once: five get a prekey each, all different; five get none.
        bundles = await asyncio.gather(*(bob.get(f"/v1/keys/{uid(ada)}") for _ in range(10)))
        handed = [b["devices"][0]["oneTimePreKey"] for b in bundles]
        given = [h["keyId"] for h in handed if h is not None]
        assert sorted(given) == [0, 1, 2, 3, 4]
        assert handed.count(None) == 5
        (device,) = bundles[0]["devices"]
        assert device["identityKey"] == upload["identityKey"]
        assert device["signedPreKey"] == upload["signedPreKey"]
        assert (await ada.get("/v1/keys"))["devices"][0]["oneTimePreKeysLeft"] == 0

        # A stranger learns nothing, not even whether Ada has keys.
        refused = await eve.request("GET", f"/v1/keys/{uid(ada)}")
        assert refused.status_code == 404 and refused.json()["error"]["code"] == "NOT_FOUND"

        await ada.delete(f"/v1/matches/{match_id}")

        async def closed() -> bool:
            return (await bob.request("GET", f"/v1/keys/{uid(ada)}")).status_code == 404

        await eventually(closed, what="the keys to be out of reach once the chat closed")


async def test_a_changed_identity_key_is_announced_to_peers(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        await chatting(disco.system, ada, bob)
        async with bob.socket() as bob_ws:
            await ada.put("/v1/keys", device_keys("phone"))
            assert (await bob_ws.expect("key_changed"))["data"]["change"] == "added"
            await ada.put("/v1/keys", device_keys("phone"))  # a reinstall: a new identity
            frame = await bob_ws.expect("key_changed")
            assert frame["data"] == {"userId": uid(ada), "deviceId": "phone", "change": "changed"}
            await ada.put("/v1/keys", device_keys("laptop"))
            added = await bob_ws.expect("key_changed")
            assert added["data"]["change"] == "added"
            await ada.delete("/v1/keys/devices/laptop")
            assert (await bob_ws.expect("key_changed"))["data"]["change"] == "removed"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda k: k["signedPreKey"].update(signature=b64(b"\0" * 64)), "signedPreKey.signature"),
        (lambda k: k.update(identityKey=b64(b"\1" * 31)), "identityKey"),
        (lambda k: k.update(identityKey="not base64!"), "identityKey"),
        (lambda k: k["signedPreKey"].update(publicKey=b64(b"\2" * 33)), "signedPreKey.publicKey"),
        (lambda k: k.update(deviceId="../etc"), "deviceId"),
        (lambda k: k.update(oneTimePreKeys=[{"keyId": -1, "publicKey": b64(b"\3" * 32)}]), "keyId"),
    ],
)
async def test_keys_that_do_not_check_out_are_refused(
    disco: Running, mutate: Any, field: str
) -> None:
    ada = await person(disco.url, "Ada")
    async with ada:
        upload = device_keys("phone")
        mutate(upload)
        response = await ada.request("PUT", "/v1/keys", json=upload)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert any(field in (d.get("field") or "") for d in error["details"]), error
        assert (await ada.get("/v1/keys"))["devices"] == []


async def test_a_report_with_a_franking_opening_proves_what_was_sent(disco: Running) -> None:
    ada, bob = await person(disco.url, "Ada"), await person(disco.url, "Bob")
    async with ada, bob:
        _, room = await chatting(disco.system, ada, bob)
        plaintext = b"you will regret this"
        franking_key = os.urandom(32)
        tag = b64(commitment(franking_key, plaintext))
        sent = await ada.post(
            f"/v1/chats/rooms/{room}/messages",
            {"ciphertext": b64(os.urandom(64)), "frankingTag": tag},
        )
        assert sent["frankingTag"] == tag and sent["serverTag"]
        # Received by Bob as sent (the frame and the history carry both tags).
        (got,) = (await bob.get(f"/v1/chats/rooms/{room}/messages"))["messages"]
        assert got["serverTag"] == sent["serverTag"]

        # Bob blocks Ada: the chat closes and expires in time, but the report still proves it.
        await bob.post("/v1/users/me/blocks", {"userId": uid(ada)})
        opening = {
            "id": got["id"],
            "senderId": uid(ada),
            "sentAt": got["sentAt"],
            "text": plaintext.decode(),
            "roomId": room,
            "frankingTag": got["frankingTag"],
            "serverTag": got["serverTag"],
            "frankingKey": b64(franking_key),
            "plaintext": b64(plaintext),
        }
        forgeries = [
            {**opening, "plaintext": b64(b"you will love this")},  # not what was committed
            {**opening, "frankingKey": b64(os.urandom(32))},
            {**opening, "serverTag": b64(os.urandom(32))},
            {**opening, "sentAt": "2020-01-01T00:00:00Z"},
            {**opening, "roomId": "another-room"},
        ]
        for forged in forgeries:
            response = await bob.request(
                "POST",
                "/v1/safety/reports",
                json={"userId": uid(ada), "reason": "threat", "messages": [forged]},
            )
            assert response.status_code == 422, forged
        # Framing someone else with Ada's message fails too: the tag names its sender.
        eve = await person(disco.url, "Eve")
        async with eve:
            framed = await bob.request(
                "POST",
                "/v1/safety/reports",
                json={"userId": uid(eve), "reason": "threat", "messages": [opening]},
            )
            assert framed.status_code == 422

        report = await bob.post(
            "/v1/safety/reports",
            {"userId": uid(ada), "reason": "threat", "messages": [opening]},
        )
        mod = await moderator(disco.system, disco.url)
        async with mod:
            (seen,) = [
                r
                for r in (await mod.get("/v1/safety/moderation/reports"))["reports"]
                if r["id"] == report["id"]
            ]
        (message,) = seen["messages"]
        assert message["verified"] is True and message["text"] == "you will regret this"
