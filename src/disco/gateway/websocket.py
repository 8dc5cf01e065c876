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
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from disco.config import Settings
from disco.gateway.service import Connection, FrameRate, SocketHub
from disco.platform.errors import DiscoError, Unauthorized
from disco.platform.security import Principal, TokenVerifier

__all__ = ["CLOSE_UNAUTHORIZED", "SocketSession"]

log = logging.getLogger(__name__)

SUBPROTOCOL = "disco.v1"
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_UNAUTHORIZED = 4401
CLOSE_IDLE = 4408
AUTH_FRAME_SECONDS = 5.0
MAX_STRIKES = 20  # frames over the rate before the socket is closed


def _frame(kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": kind, "data": data or {}}


def _error(code: str, message: str) -> dict[str, Any]:
    return _frame("error", {"code": code, "message": message})


class SocketSession:
    def __init__(
        self, websocket: WebSocket, *, settings: Settings, tokens: TokenVerifier, hub: SocketHub
    ) -> None:
        self.ws = websocket
        self.settings = settings
        self.tokens = tokens
        self.hub = hub
        self.principal: Principal | None = None

    def _origin_allowed(self) -> bool:
        origin = self.ws.headers.get("origin")
        if origin is None:
            return True  # not a browser: Origin is a browser's promise, others cannot forge it
        allowed = {self.settings.base_url, *self.settings.allowed_origins}
        return origin.rstrip("/") in allowed

    def _offered_token(self) -> str | None:
        for protocol in self.ws.scope.get("subprotocols", []):
            if protocol.startswith("bearer."):
                return str(protocol[len("bearer.") :])
        return self.ws.query_params.get("token")

    async def run(self) -> None:
        if not self._origin_allowed():
            await self.ws.close(code=CLOSE_POLICY, reason="origin not allowed")
            return
        token = self._offered_token()
        if token is not None:
            try:
                self.principal = await self.tokens.verify(token)
            except Unauthorized:
                await self.ws.close(code=CLOSE_POLICY, reason="invalid token")
                return
        offered = self.ws.scope.get("subprotocols", [])
        await self.ws.accept(subprotocol=SUBPROTOCOL if SUBPROTOCOL in offered else None)
        if self.principal is None and not await self._authenticate_by_frame():
            return
        assert self.principal is not None
        connection = Connection(self.principal.user_id)
        self.hub.add(connection)
        writer = asyncio.create_task(self._write(connection))
        try:
            connection.offer(_frame("ready", {"userId": self.principal.user_id}))
            await self._read(connection)
        finally:
            self.hub.remove(connection)
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await writer

    async def _authenticate_by_frame(self) -> bool:
        try:
            raw = await asyncio.wait_for(self.ws.receive_text(), AUTH_FRAME_SECONDS)
            frame = json.loads(raw)
            token = frame["data"]["token"] if frame.get("type") == "auth" else None
            if not isinstance(token, str):
                raise ValueError("no token")
            self.principal = await self.tokens.verify(token)
            return True
        except (TimeoutError, ValueError, KeyError, TypeError, DiscoError, WebSocketDisconnect):
            with contextlib.suppress(Exception):
                await self.ws.close(code=CLOSE_UNAUTHORIZED, reason="authentication required")
            return False

    async def _write(self, connection: Connection) -> None:
        while True:
            frame = await connection.outbox.get()
            await self.ws.send_text(json.dumps(frame, separators=(",", ":")))

    async def _read(self, connection: Connection) -> None:
        rate = FrameRate(self.settings.ws_frames_per_second)
        while True:
            assert self.principal is not None
            timeout = min(
                self.settings.ws_idle_timeout_seconds,
                max(0.0, self.principal.expires_at - time.time()),
            )
            receive = asyncio.ensure_future(self.ws.receive())
            slow = asyncio.ensure_future(connection.closed.wait())
            done, _ = await asyncio.wait(
                {receive, slow}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            slow.cancel()
            if slow in done:
                receive.cancel()
                await self._close(CLOSE_POLICY, "client too slow to keep up")
                return
            if not done:
                receive.cancel()
                if time.time() >= self.principal.expires_at:
                    await self._close(CLOSE_UNAUTHORIZED, "token expired")
                else:
                    await self._close(CLOSE_IDLE, "idle timeout")
                return
            message = receive.result()
            if message["type"] == "websocket.disconnect":
                return
            raw = message.get("text")
            if raw is None:
                raw_bytes = message.get("bytes") or b""
                raw = raw_bytes.decode("utf-8", "replace")
            if len(raw.encode()) > self.settings.ws_max_frame_bytes:
                await self._close(CLOSE_TOO_BIG, "frame too large")
                return
            if not rate.allow():
                if rate.strikes > MAX_STRIKES:
                    await self._close(CLOSE_POLICY, "too many frames")
                    return
                connection.offer(_error("RATE_LIMITED", "Too many frames; slow down."))
                continue
            reply = await self._dispatch(raw)
            if reply is not None:
                connection.offer(reply)

    async def _dispatch(self, raw: str) -> dict[str, Any] | None:
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
            return _frame("pong", data if len(json.dumps(data)) <= 256 else {})
        if kind == "auth":
            # A fresh access token keeps a long-lived socket open past the old one's expiry.
            token = data.get("token")
            try:
                if not isinstance(token, str):
                    raise Unauthorized("missing token")
                principal = await self.tokens.verify(token)
            except Unauthorized:
                return _error("UNAUTHORIZED", "That token is not valid.")
            assert self.principal is not None
            if principal.user_id != self.principal.user_id:
                return _error("FORBIDDEN", "A socket stays with the user who opened it.")
            self.principal = principal
            return _frame("authenticated", {"expiresAt": principal.expires_at})
        return _error("VALIDATION_ERROR", f"Unknown frame type {kind[:40]!r}.")

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, reason=reason)
