"""The gateway's hop to a service that runs in the same process (``disco up``).

The service's ASGI app is called with the request the gateway would have sent it over HTTP
(the canonical path, the forwardable headers, the client's address and request id, the
gateway's service credential) and its answer goes to the client as it is sent, minus the
headers that describe one hop. An HTTP client in between (``httpx.ASGITransport``) built and
parsed both messages again and cost the gateway more CPU per request than everything else it
does (``bench.gateway``). A body too large to buffer is handed on chunk by chunk as it arrives.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable
from urllib.parse import unquote

from fastapi import Request
from fastapi.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from disco.platform.errors import DiscoError

__all__ = ["InProcessAnswer"]

log = logging.getLogger(__name__)


class InProcessAnswer(Response):
    """A response that is the service app's own answer to the forwarded request."""

    def __init__(
        self,
        app: ASGIApp,
        request: Request,
        target: str,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        body: bytes | AsyncIterable[bytes],
        *,
        dropped: frozenset[bytes],
    ) -> None:
        """``target``: the canonical path, percent-encoded; ``dropped``: the answer's headers
        that are not passed on (lower case)."""
        super().__init__()
        self._app = app
        self._dropped = dropped
        self._scope: Scope = {
            "type": "http",
            "asgi": request.scope.get("asgi", {"version": "3.0"}),
            "http_version": request.scope.get("http_version", "1.1"),
            "method": request.method,
            "scheme": "http",
            "path": unquote(target),
            "raw_path": target.encode("ascii"),
            "query_string": query,
            "root_path": "",
            "headers": [(k.lower(), v) for k, v in headers],
            "client": ("127.0.0.1", 0),
            "server": ("internal", 80),
        }
        self._body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False
        whole = False  # the body has been handed on, all of it
        chunks = None if isinstance(self._body, bytes) else aiter(self._body)
        # Why the streamed body broke off (too large, the client gone): the service is told
        # the client went away, so it keeps nothing, and the client gets this refusal, not
        # whatever the service made of the break.
        refusal: DiscoError | None = None

        async def receive_body() -> Message:
            nonlocal whole, refusal
            if refusal is not None:
                return {"type": "http.disconnect"}
            if whole:
                return await receive()  # the client's disconnect, for a streamed answer
            if chunks is None:
                whole = True
                return {"type": "http.request", "body": self._body, "more_body": False}
            try:
                chunk = await anext(chunks, None)
            except DiscoError as exc:
                whole, refusal = True, exc
                return {"type": "http.disconnect"}
            if chunk is None:
                whole = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.request", "body": chunk, "more_body": True}

        async def send_on(message: Message) -> None:
            nonlocal started
            if refusal is not None and not started:
                return  # the service's answer to a body it never had whole
            if message["type"] == "http.response.start":
                started = True
                kept = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() not in self._dropped
                ]
                message = {**message, "headers": kept}
            await send(message)

        try:
            await self._app(self._scope, receive_body, send_on)
        except Exception:
            if not started:
                if refusal is not None:
                    raise refusal from None
                raise
            # The service's error middleware answered (a 500) and re-raised for its server to
            # log; the client has its answer, as it would over HTTP.
            log.exception("the in-process service failed after answering")
        if refusal is not None and not started:
            raise refusal
