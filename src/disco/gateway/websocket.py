"""One WebSocket session: authenticate, then pump frames both ways until either side stops.

Follows the OWASP WebSocket cheat sheet: Origin allow-list, token checked before any frame
flows (``?token=``, a ``bearer.<token>`` subprotocol, or an ``auth`` first frame, so it need
not appear in URLs and logs), frame size and frame rate limits, an idle timeout, and the
socket is closed when its access token expires unless the client sends a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from disco.gateway.frames import FRAME_ROUTES, FrameRate
from disco.gateway.hub import Connection
from disco.gateway.service import Gateway
from disco.platform.api import error_response
from disco.platform.errors import DiscoError, Forbidden, Unauthorized, Unavailable
from disco.platform.jsonlimits import deeper_than, too_deep_message
from disco.platform.observability import WEBSOCKETS_OPEN, request_id_var
from disco.platform.security import Principal

__all__ = [
    "CLOSE_IDLE",
    "CLOSE_POLICY",
    "CLOSE_TOO_BIG",
    "CLOSE_TOO_MANY",
    "CLOSE_UNAUTHORIZED",
    "SUBPROTOCOL",
    "PersonSockets",
    "SocketSession",
]

log = logging.getLogger(__name__)

SUBPROTOCOL = "disco.v1"
BEARER_PREFIX = "bearer."
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_UNAUTHORIZED = 4401
CLOSE_IDLE = 4408
CLOSE_TOO_MANY = 4008  # the person opened more sockets than they may hold: this, the oldest, goes
AUTH_FRAME_SECONDS = 5.0  # at most; a shorter idle timeout is shorter still
MAX_STRIKES = 20  # roughly: refused frames in a row before the socket is closed
MAX_PONG_BYTES = 256


def _frame(kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": kind, "data": data or {}}


def _error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return _frame("error", {"code": code, "message": message, **extra})


class PersonSockets:
    """The authenticated sockets open on this gateway process, per person, oldest first: each
    holds a queue and a writer, so one person may hold only ``limit`` of them. One more closes
    that person's oldest (a phone that reconnects without closing its old socket is the honest
    case). The limit is per gateway process; sockets spread over N gateways may number N times
    it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._by_user: dict[str, dict[SocketSession, None]] = {}

    def open(self, session: SocketSession, user_id: str) -> None:
        sockets = self._by_user.setdefault(user_id, {})
        sockets[session] = None
        while len(sockets) > self.limit:
            oldest = next(iter(sockets))
            del sockets[oldest]
            oldest.evict()

    def close(self, session: SocketSession, user_id: str) -> None:
        sockets = self._by_user.get(user_id)
        if sockets is not None:
            sockets.pop(session, None)
            if not sockets:
                del self._by_user[user_id]


class SocketSession:
    def __init__(self, websocket: WebSocket, gateway: Gateway, sockets: PersonSockets) -> None:
        self.ws = websocket
        self.gateway = gateway
        self.settings = gateway.settings
        self.principal: Principal | None = None
        self._token = ""
        self._sockets = sockets
        # Why the socket must close, once something other than the client decided it (it was
        # evicted, or it reads too slowly); the reader closes it between frames.
        self._stop: tuple[int, str] | None = None
        # The reader's wait for the next frame, while it waits: a stop ends the wait at once.
        self._waiting: asyncio.Timeout | None = None
        client = websocket.client
        self._client_ip = client.host if client else "unknown"

    def _origin_allowed(self) -> bool:
        origin = self.ws.headers.get("origin")
        if origin is None:
            return True  # not a browser: Origin is a browser's promise, others cannot forge it
        allowed = {
            o.rstrip("/").lower() for o in (self.settings.base_url, *self.settings.allowed_origins)
        }
        return origin.rstrip("/").lower() in allowed

    def _offered_token(self) -> str | None:
        for protocol in self.ws.scope.get("subprotocols", []):
            if protocol.startswith(BEARER_PREFIX):
                return str(protocol[len(BEARER_PREFIX) :])
        return self.ws.query_params.get("token")

    async def _deny(self, refusal: DiscoError) -> None:
        """Refuse the handshake: an HTTP answer in the error format where the server can send
        one (the WebSocket Denial Response extension), else a plain 403."""
        if "websocket.http.response" in self.ws.scope.get("extensions", {}):
            await self.ws.send_denial_response(error_response(refusal))
        else:
            await self.ws.close(code=CLOSE_POLICY, reason=refusal.message)

    async def _verify(self, token: str) -> Principal:
        """Unauthorized for a bad token, Unavailable when it cannot be checked right now."""
        try:
            principal = await self.gateway.tokens.verify(token)
        except DiscoError:
            raise
        except Exception as exc:
            log.warning("token check failed: %s", exc)
            raise Unavailable("Tokens cannot be checked right now; try again shortly.") from exc
        return principal

    async def run(self) -> None:
        if not self._origin_allowed():
            await self._deny(Forbidden("This origin may not open a socket."))
            return
        token = self._offered_token()
        if token is not None:
            try:
                self.principal, self._token = await self._verify(token), token
            except DiscoError as exc:
                await self._deny(exc)
                return
        offered = self.ws.scope.get("subprotocols", [])
        await self.ws.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
        if self.principal is None and not await self._authenticate_by_frame():
            return
        assert self.principal is not None
        user_id = self.principal.user_id
        connection = Connection(user_id)
        self._sockets.open(self, user_id)
        self.gateway.connected(connection)
        WEBSOCKETS_OPEN.labels("gateway").inc()
        helpers = (
            asyncio.create_task(self._write(connection)),
            asyncio.create_task(self._watch_session()),
            asyncio.create_task(self._cut_off_when_slow(connection)),
        )
        try:
            connection.offer(
                _frame(
                    "ready",
                    {
                        "userId": self.principal.user_id,
                        "expiresAt": self.principal.expires_at,
                        "idleTimeoutSeconds": self.settings.ws_idle_timeout_seconds,
                    },
                )
            )
            await self._read_frames(connection)
        finally:
            WEBSOCKETS_OPEN.labels("gateway").dec()
            self.gateway.disconnected(connection)
            self._sockets.close(self, user_id)
            for task in helpers:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def evict(self) -> None:
        """Close this socket: its person opened one more than they may hold."""
        self._stop_with(CLOSE_TOO_MANY, "too many sockets open; this was the oldest")

    def _stop_with(self, code: int, reason: str) -> None:
        """Have the reader close the socket with ``code``: now if it is waiting for a frame,
        else once the frame it is handling is done (a location fix is never cut in half)."""
        if self._stop is None:
            self._stop = (code, reason)
        if self._waiting is not None and not self._waiting.expired():
            self._waiting.reschedule(0)  # any time already past: the wait ends at once

    async def _cut_off_when_slow(self, connection: Connection) -> None:
        await connection.closed.wait()  # its queue of frames to send overflowed
        self._stop_with(CLOSE_POLICY, "client too slow to keep up")

    async def _watch_session(self) -> None:
        """Close the socket once its token is revoked: a logout ends live sockets too."""
        while True:
            await asyncio.sleep(self.settings.ws_revocation_check_seconds)
            try:
                # Through _verify: a store error (Redis away) is Unavailable, so this watch asks
                # again next round instead of ending silently and leaving a revoked socket open.
                await self._verify(self._token)
            except Unauthorized:
                await self._close(CLOSE_UNAUTHORIZED, "session ended")
                return
            except DiscoError:
                continue  # the revocation store is unreachable: keep the socket, ask again

    async def _authenticate_by_frame(self) -> bool:
        wait = min(AUTH_FRAME_SECONDS, self.settings.ws_idle_timeout_seconds)
        try:
            raw = await asyncio.wait_for(self.ws.receive_text(), wait)
            if deeper_than(raw):
                raise ValueError(too_deep_message())
            frame = json.loads(raw)
            token = frame["data"]["token"] if frame.get("type") == "auth" else None
            if not isinstance(token, str):
                raise Unauthorized("The first frame must be auth with a token.")
            self.principal, self._token = await self._verify(token), token
            return True
        except (
            TimeoutError,
            ValueError,
            KeyError,
            TypeError,
            DiscoError,
            WebSocketDisconnect,
            RuntimeError,  # a binary frame, or the client went away
        ):
            await self._close(CLOSE_UNAUTHORIZED, "authentication required")
            return False

    async def _write(self, connection: Connection) -> None:
        while True:
            frame = await connection.outbox.get()
            await self.ws.send_text(json.dumps(frame, separators=(",", ":")))

    def _seconds_left(self) -> float:
        assert self.principal is not None
        return max(0.0, self.principal.expires_at - time.time())

    async def _read_frames(self, connection: Connection) -> None:
        """Frames until the client goes, is idle too long, its token runs out, or a stop.

        One wait per frame and no task: a thousand frames a second made two tasks, a wait and
        a cancelled task's exception each, and the garbage collector's pauses that followed
        were most of discovery's tail."""
        rate = FrameRate(self.settings.ws_frames_per_second, max_strikes=MAX_STRIKES)
        loop = asyncio.get_running_loop()
        while self._stop is None:
            timeout = min(self.settings.ws_idle_timeout_seconds, self._seconds_left())
            try:
                async with asyncio.timeout_at(loop.time() + timeout) as waiting:
                    self._waiting = waiting  # only while it can still be rescheduled
                    try:
                        message = await self.ws.receive()
                    finally:
                        self._waiting = None
            except TimeoutError:
                if not waiting.expired():
                    raise  # not our deadline: the server's own, say
                if self._stop is not None:
                    break
                if self._seconds_left() <= 0:
                    await self._close(CLOSE_UNAUTHORIZED, "token expired")
                else:
                    await self._close(CLOSE_IDLE, "idle timeout")
                return
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                raw = (message.get("bytes") or b"").decode("utf-8", "replace")
            # The server's own limit (uvicorn's ws_max_size) normally closes first.
            if len(raw.encode()) > self.settings.ws_max_frame_bytes:
                await self._close(CLOSE_TOO_BIG, "frame too large")
                return
            if not rate.allow():
                if rate.exhausted:
                    await self._close(CLOSE_POLICY, "too many frames")
                    return
                connection.offer(_error("RATE_LIMITED", "Too many frames; slow down."))
                continue
            reply = await self._dispatch(raw)
            if reply is not None:
                connection.offer(reply)
        if self._stop is not None:
            await self._close(*self._stop)

    async def _dispatch(self, raw: str) -> dict[str, Any] | None:
        if deeper_than(raw):
            # Parsing it would recurse once per level: thousands of levels raise RecursionError.
            return _error("VALIDATION_ERROR", too_deep_message())
        try:
            frame = json.loads(raw)
        except ValueError:
            return _error("VALIDATION_ERROR", "A frame must be a JSON object.")
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            return _error("VALIDATION_ERROR", 'A frame needs a string "type".')
        data = frame.get("data", {})
        if not isinstance(data, dict):
            return _error("VALIDATION_ERROR", '"data" must be an object.')
        kind = frame["type"]
        if kind == "ping":
            return _frame("pong", data if len(json.dumps(data)) <= MAX_PONG_BYTES else {})
        if kind == "auth":
            return await self._reauthenticate(data)
        route = FRAME_ROUTES.get(kind)
        if route is None:
            return _error("VALIDATION_ERROR", f"Unknown frame type {kind[:40]!r}.")
        # Each relayed frame gets its own request id, so the service's logs can be matched.
        request_id = request_id_var.set(uuid.uuid4().hex)
        assert self.principal is not None  # frames are read only once the socket authenticated
        try:
            await self.gateway.relay_frame(
                route, data, principal=self.principal, token=self._token, client_ip=self._client_ip
            )
        except DiscoError as exc:
            return _error(exc.code, exc.message, frame=kind)
        finally:
            request_id_var.reset(request_id)
        return None

    async def _reauthenticate(self, data: dict[str, Any]) -> dict[str, Any]:
        """A fresh access token keeps a long-lived socket open past the old one's expiry."""
        token = data.get("token")
        try:
            if not isinstance(token, str):
                raise Unauthorized("An auth frame needs a token.")
            principal = await self._verify(token)
        except DiscoError as exc:
            return _error(exc.code, exc.message, frame="auth")
        assert self.principal is not None
        if principal.user_id != self.principal.user_id:
            return _error("FORBIDDEN", "A socket stays with the user who opened it.", frame="auth")
        self.principal, self._token = principal, token
        return _frame("authenticated", {"expiresAt": principal.expires_at})

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, reason=reason)
