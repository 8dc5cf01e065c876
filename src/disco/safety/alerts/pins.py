"""The PIN that ends an alert, and the duress PIN that only seems to: argon2id hashes, checked
both at once, a few wrong tries an hour."""

from __future__ import annotations

import asyncio

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from disco.platform.context import ServiceContext
from disco.platform.db import UnitOfWork
from disco.platform.errors import Conflict, Forbidden, RateLimited, ValidationFailed
from disco.safety.alerts.repository import AlertsRepository
from disco.safety.alerts.schemas import PinIn

__all__ = ["PIN_ATTEMPTS", "Pins"]

# Wrong PINs tolerated per alert (or, to change the PIN, per user) per hour before it is refused.
PIN_ATTEMPTS = 5


class Pins:
    def __init__(self, ctx: ServiceContext) -> None:
        self._clock = ctx.clock
        self._kv = ctx.kv
        # argon2id with the library's RFC 9106 defaults; a PIN is short, so the hash is slow.
        self._hasher = PasswordHasher()

    async def is_set(self, uow: UnitOfWork, user_id: str) -> bool:
        return await AlertsRepository(uow).pin_hashes(user_id) is not None

    async def set_pin(self, uow: UnitOfWork, user_id: str, body: PinIn) -> None:
        if body.duress_pin is not None and body.duress_pin == body.pin:
            raise ValidationFailed(
                "The duress PIN must differ from the PIN.",
                details=[{"field": "duressPin", "message": "same as pin"}],
            )
        repo = AlertsRepository(uow)
        if await repo.pin_hashes(user_id) is not None:
            # Whoever holds an unlocked phone must not be able to set a PIN they then know.
            if body.current_pin is None:
                raise ValidationFailed(
                    "Your current PIN is needed to change it.",
                    details=[{"field": "currentPin", "message": "required"}],
                )
            genuine = await self.check(
                repo, user_id, body.current_pin, tries=user_id, refusal="try again later"
            )
            if not genuine:
                raise Forbidden("That PIN is not right.")
        pin_hash = await asyncio.to_thread(self._hasher.hash, body.pin)
        duress_hash = (
            await asyncio.to_thread(self._hasher.hash, body.duress_pin)
            if body.duress_pin is not None
            else None
        )
        await repo.put_pins(user_id, pin_hash, duress_hash, self._clock.now())

    async def check(
        self, repo: AlertsRepository, user_id: str, pin: str, *, tries: str, refusal: str
    ) -> bool:
        """True for the PIN, False for the duress PIN; anything else is refused. Past
        ``PIN_ATTEMPTS`` tries an hour on ``tries`` (an alert, a user) nothing is checked:
        "Too many wrong PINs; ``refusal``"."""
        attempts, _ = await self._kv.hit(f"safety:pin-attempts:{tries}", 3600)
        if attempts > PIN_ATTEMPTS:
            raise RateLimited(f"Too many wrong PINs; {refusal}.")
        hashes = await repo.pin_hashes(user_id)
        if hashes is None:
            raise Conflict("Set a safety PIN first (PUT /v1/safety/pin).")
        pin_hash, duress_hash = hashes

        def matches(stored: str | None) -> bool:
            if stored is None:
                return False
            try:
                return self._hasher.verify(stored, pin)
            except (VerificationError, InvalidHashError):
                return False

        # Both are always checked, so the time taken does not tell which one it was.
        is_pin, is_duress = await asyncio.gather(
            asyncio.to_thread(matches, pin_hash), asyncio.to_thread(matches, duress_hash)
        )
        if is_pin:
            return True
        if is_duress:
            return False
        raise Forbidden("That PIN is not right.")
