"""Sign-in throttling that stops guessing without locking anyone out of their own account.

OWASP's "device cookies" (Authentication Cheat Sheet, Slow Down Online Guessing Attacks with
Device Cookies): a successful sign-in hands the client a *device token*, an opaque value signed
for its account. An attempt that presents a valid one for the account it names is throttled
only per device token, so a stranger hammering the account, or a crowd behind the owner's
address, never slows the owner's known devices. Every other attempt is *untrusted* and counted
per account, per address and per (account, address) pair.

No scope ever locks: past its free failures, each further attempt must wait a delay that
doubles with each further failure (``login_delay_seconds``, 2x, 4x ... up to
``login_max_delay_seconds``), answered 429 with ``Retry-After``; when it has passed, one attempt
is checked. Delays are measured on the injected clock; counts live in the KV store, shared by
every process, and are forgotten ``login_failure_window_seconds`` after the first failure.

Attempts are counted before the password is checked and given back if refused, so a burst of
parallel guesses cannot all slip in before the first failure is recorded (ASVS 5.0 §6.3.1). An
address counts failures only: many people may sign in, successfully, from behind one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass
from types import TracebackType

from disco.platform.context import ServiceContext
from disco.platform.errors import RateLimited

__all__ = ["DeviceTokens", "LoginThrottle", "Ticket"]

# A claimed turn (the one attempt let through when a delay ends) is given back after this many
# seconds if its request never finished (its process died mid-check).
_TURN_SECONDS = 60


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class _Scope:
    """What is counted together: ``key`` names it, ``free`` failures pass without a delay.
    ``attempts``: attempts are counted before the check and a success clears them (an account,
    a pair, a device); otherwise only failures count and nothing clears them (an address)."""

    key: str
    free: int
    attempts: bool = True

    @property
    def count_key(self) -> str:
        return f"{self.key}:n"

    @property
    def gate_key(self) -> str:
        return f"{self.key}:gate"


@dataclass(frozen=True, slots=True)
class _Gate:
    """The scope's current delay: the ``step``-th since its free failures, ending ``at``."""

    step: int
    at: float

    @classmethod
    def parse(cls, raw: str | None) -> _Gate | None:
        if raw is None:
            return None
        data = json.loads(raw)
        return cls(step=int(data["step"]), at=float(data["at"]))

    def dump(self) -> str:
        return json.dumps({"step": self.step, "at": self.at})


def _limited(seconds: float) -> RateLimited:
    # Rounded first, so float timestamps never turn a 60 s delay into Retry-After: 61.
    wait = max(1, math.ceil(round(seconds, 3)))
    return RateLimited(
        f"Too many failed sign-in attempts; try again in {wait} seconds. A device you have "
        "signed in on before is not held up, and resetting your password always works.",
        headers={"Retry-After": str(wait)},
    )


class Ticket:
    """One admitted attempt. Say how it went (``failed`` / ``succeeded``); leaving the ``async
    with`` block without either (an error on the way) gives the attempt back uncounted."""

    def __init__(self, throttle: LoginThrottle) -> None:
        self._throttle = throttle
        self.counted: list[tuple[_Scope, int, _Gate | None]] = []
        self.address: tuple[_Scope, _Gate | None] | None = None
        self.turns: list[str] = []
        self._settled = False

    async def failed(self) -> None:
        self._settled = True
        await self._throttle._failed(self)

    async def succeeded(self) -> None:
        self._settled = True
        await self._throttle._succeeded(self)

    async def __aenter__(self) -> Ticket:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._settled:
            await self._throttle._give_back(self)


class LoginThrottle:
    def __init__(self, ctx: ServiceContext) -> None:
        self._kv = ctx.kv
        self._clock = ctx.clock
        self._settings = ctx.settings

    # --- scopes ---------------------------------------------------------------------------------
    def _account(self, email: str) -> _Scope:
        return _Scope(f"login:acct:{_digest(email)}", self._settings.login_failures_per_account)

    def _pair(self, email: str, client_ip: str) -> _Scope:
        return _Scope(
            f"login:pair:{_digest(email)}:{_digest(client_ip)}",
            self._settings.login_failures_per_account_and_ip,
        )

    def _address(self, client_ip: str) -> _Scope:
        return _Scope(
            f"login:ip:{_digest(client_ip)}", self._settings.login_failures_per_ip, attempts=False
        )

    def _device(self, device_id: str) -> _Scope:
        return _Scope(f"login:dev:{device_id}", self._settings.login_failures_per_device)

    def _codes(self, email: str) -> _Scope:
        return _Scope(f"login:code:{_digest(email)}", self._settings.login_failures_per_account)

    # --- admitting attempts ---------------------------------------------------------------------
    async def password(self, email: str, client_ip: str, device_id: str | None) -> Ticket:
        """A password attempt: from a known device (``device_id``, from a device token valid
        for this account) counted for that device alone; else per pair, account and address.
        An untrusted attempt also waits while the account's second-factor codes are held up,
        so the right password buys no fresh batch of code guesses. RateLimited if it must
        wait."""
        if device_id is not None:
            return await self._admit([self._device(device_id)])
        return await self._admit(
            [self._pair(email, client_ip), self._account(email)],
            watched=[self._codes(email)],
            address=self._address(client_ip),
        )

    async def code(self, email: str) -> Ticket:
        """A second-factor code: per account, wherever it comes from. Only someone who knew
        the password gets this far, and a six-digit code needs the tightest bound there is."""
        return await self._admit([self._codes(email)])

    async def reset(self, email: str, client_ip: str) -> None:
        """The owner proved the account theirs another way (a password reset): start its
        counts afresh, and those of the address the reset came from."""
        for scope in (self._account(email), self._codes(email), self._pair(email, client_ip)):
            await self._kv.delete(scope.count_key)
            await self._kv.delete(scope.gate_key)

    async def _admit(
        self,
        counted: list[_Scope],
        *,
        watched: tuple[_Scope, ...] | list[_Scope] = (),
        address: _Scope | None = None,
    ) -> Ticket:
        everything = [*counted, *watched, *([address] if address else [])]
        keys = [s.gate_key for s in everything]
        if address is not None:
            keys.append(address.count_key)
        raw = await self._kv.get_many(keys)
        gates = {s.key: _Gate.parse(r) for s, r in zip(everything, raw, strict=False)}
        now = self._clock.timestamp()
        wait = max((g.at - now for g in gates.values() if g is not None), default=0.0)
        if wait > 0:
            raise _limited(wait)  # nothing counted: waiting out a delay costs nothing

        ticket = Ticket(self)
        try:
            for scope in counted:
                attempts, _ = await self._kv.hit(scope.count_key, self._window)
                ticket.counted.append((scope, attempts, gates[scope.key]))
                if attempts > scope.free:
                    await self._take_turn(ticket, scope, gates[scope.key])
            if address is not None:
                gate = gates[address.key]
                ticket.address = (address, gate)
                if int(raw[-1] or 0) >= address.free and gate is not None:
                    await self._take_turn(ticket, address, gate)
        except RateLimited:
            await self._give_back(ticket)
            raise
        return ticket

    async def _take_turn(self, ticket: Ticket, scope: _Scope, gate: _Gate | None) -> None:
        """Past its free failures a scope lets one attempt through per delay: this one, if it
        is first. With no delay set yet, the free attempts are still being checked."""
        if gate is None:
            raise _limited(self._settings.login_delay_seconds)
        turn = f"{scope.key}:turn:{gate.at}"
        if not await self._kv.set(turn, "1", ttl=_TURN_SECONDS, only_new=True):
            raise _limited(self._settings.login_delay_seconds)
        ticket.turns.append(turn)

    # --- outcomes -------------------------------------------------------------------------------
    @property
    def _window(self) -> int:
        return self._settings.login_failure_window_seconds

    def _delay(self, step: int) -> float:
        base, longest = self._settings.login_delay_seconds, self._settings.login_max_delay_seconds
        return min(longest, base * 2 ** min(step - 1, 32))

    async def _hold(self, scope: _Scope, gate: _Gate | None) -> None:
        step = (gate.step if gate is not None else 0) + 1
        held = _Gate(step=step, at=self._clock.timestamp() + self._delay(step))
        await self._kv.set(scope.gate_key, held.dump(), ttl=self._window)

    async def _failed(self, ticket: Ticket) -> None:
        for scope, attempts, gate in ticket.counted:
            if attempts >= scope.free:
                await self._hold(scope, gate)
        if ticket.address is not None:
            scope, gate = ticket.address
            failures, _ = await self._kv.hit(scope.count_key, self._window)
            if failures >= scope.free:
                await self._hold(scope, gate)

    async def _succeeded(self, ticket: Ticket) -> None:
        for scope, _, _ in ticket.counted:
            await self._kv.delete(scope.count_key)
            await self._kv.delete(scope.gate_key)
        # An address is not cleared by one person's success, but its turn passes to the next.
        for turn in ticket.turns:
            await self._kv.delete(turn)

    async def _give_back(self, ticket: Ticket) -> None:
        for scope, _, _ in ticket.counted:
            await self._kv.unhit(scope.count_key)
        for turn in ticket.turns:
            await self._kv.delete(turn)


class DeviceTokens:
    """Device tokens: ``<nonce>.<issued>.<mac>``, an HMAC over the account's email, a random
    nonce and the issue time, with a key derived from the field cipher's ring (rotating the
    ring forgets every device: each becomes untrusted until it signs in again). Nothing is
    stored; the nonce names the device for the throttle."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._key = ctx.cipher.derive_secret("login-device-token")
        self._clock = ctx.clock
        self._ttl = ctx.settings.login_device_token_ttl_days * 86400

    def _mac(self, email: str, nonce: str, issued: int) -> str:
        message = f"{email.lower()}\n{nonce}\n{issued}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self, email: str) -> str:
        nonce, issued = secrets.token_urlsafe(16), int(self._clock.timestamp())
        return f"{nonce}.{issued}.{self._mac(email, nonce, issued)}"

    def device_of(self, token: str | None, email: str) -> str | None:
        """The device a token names, if it is genuine, current and for ``email``; else None
        (the attempt is then simply untrusted)."""
        if not token:
            return None
        nonce, _, rest = token.partition(".")
        issued_text, _, mac = rest.partition(".")
        if not (nonce and mac and issued_text.isdigit()):
            return None
        issued = int(issued_text)
        now = self._clock.timestamp()
        if not issued - 60 <= now <= issued + self._ttl:
            return None
        if not hmac.compare_digest(mac, self._mac(email, nonce, issued)):
            return None
        return _digest(nonce)
