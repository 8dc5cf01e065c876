"""End-to-end encryption helpers: devices without a server (``Device``, as the SDK drives it),
their key bundles as the directory hands them out, and randomness a test scripts."""

from __future__ import annotations

import base64
from collections.abc import Iterable

from disco.client.e2ee.device import Device, Opened, Recipient, Sealed
from disco.client.e2ee.prekeys import DeviceKeys
from disco.client.e2ee.primitives import Random, system_random
from disco.client.e2ee.sessions import SessionBook
from disco.client.e2ee.wire import CONTENT_TEXT, Envelope
from disco.client.e2ee.x3dh import DeviceBundle

ROOM = "room-1"


def base64_fragments(text: str) -> list[str]:
    """How ``text`` would look inside base64, at each of the three byte alignments: what to
    search for besides ``text`` itself where a JSON body (or a log of one) may carry it."""
    data = text.encode()
    return [base64.b64encode(bytes(shift) + data).decode()[4:-4] for shift in range(3)]


def new_device(user_id: str, device_id: str = "phone", random: Random = system_random) -> Device:
    return Device(user_id, device_id, DeviceKeys.create(random, 0.0), SessionBook(), random)


def bundle_of(device: Device, *, one_time: bool = True) -> DeviceBundle:
    """The device's keys as ``GET /v1/keys/{userId}`` lists them, with a fresh one-time
    prekey (the device keeps its private half) unless ``one_time`` is False."""
    fresh = device.keys.new_one_time_prekeys(1, system_random) if one_time else {}
    upload = device.keys.upload(device.device_id, fresh)
    handed = upload["oneTimePreKeys"][0] if one_time else None
    return DeviceBundle.from_api({**upload, "oneTimePreKey": handed})


def seal(sender: Device, text: str, to: Iterable[Device], room: str = ROOM) -> Sealed:
    """``text`` sealed for ``to`` (sessions started where there are none) and committed."""
    recipients = [
        Recipient(
            d.user_id,
            d.device_id,
            None if sender.sessions.current((d.user_id, d.device_id)) else bundle_of(d),
        )
        for d in to
    ]
    sealed = sender.seal(room, CONTENT_TEXT, text.encode(), recipients)
    sealed.commit()
    return sealed


def open_(receiver: Device, sender: Device, sealed: Sealed, room: str = ROOM) -> str:
    """The text of ``sealed`` as ``receiver`` reads it (committed)."""
    opened = try_open(receiver, sender, sealed, room)
    opened.commit()
    return opened.payload.body.decode()


def try_open(receiver: Device, sender: Device, sealed: Sealed, room: str = ROOM) -> Opened:
    """Open without committing: the receiver is left as it was."""
    return receiver.open(
        sender.user_id,
        room,
        Envelope.decode(sealed.envelope),
        sealed.franking_tag,
        sender.keys.identity.public,
    )


def clone(device: Device, random: Random = system_random) -> Device:
    """What an attacker who copies the device's stored state holds: a device of its own."""
    return Device(
        device.user_id,
        device.device_id,
        DeviceKeys.from_json(device.keys.to_json()),
        SessionBook.from_json(device.sessions.to_json()),
        random,
    )


class ScriptedRandom:
    """Randomness a test fixes: hands out the given byte strings in order, each exactly as
    long as asked (a mismatch means the draws are out of the documented order)."""

    def __init__(self, draws: Iterable[str]) -> None:
        self._draws = [base64.b16decode(d.upper()) for d in draws]
        self.taken = 0

    def __call__(self, size: int) -> bytes:
        if self.taken >= len(self._draws):
            raise AssertionError("more randomness drawn than the script holds")
        draw = self._draws[self.taken]
        if len(draw) != size:
            raise AssertionError(f"draw {self.taken}: {size} bytes asked, {len(draw)} scripted")
        self.taken += 1
        return draw

    @property
    def exhausted(self) -> bool:
        return self.taken == len(self._draws)
