"""A small async client for the public API: what the tests, ``disco simulate`` and bench use.

async with DiscoClient("http://localhost:8000") as disco:
    await disco.signup("ada@example.com", "a long passphrase", "Ada", "Lovelace")
    me = await disco.get("/v1/auth/me")
    async with disco.socket() as ws:
        await ws.send("ping")
        print(await ws.expect("pong"))
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx
from websockets.asyncio.client import ClientConnection, connect

__all__ = ["ApiError", "DiscoClient", "Socket"]


class ApiError(Exception):
    """A 4xx/5xx answer, with the error body's code and message."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        body: Any,
        headers: httpx.Headers | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.body = body
        self.headers = headers if headers is not None else httpx.Headers()

    @property
    def retry_after(self) -> int | None:
        """Seconds a 429 (or 503) asks the client to wait, from its Retry-After header."""
        value = self.headers.get("retry-after", "")
        return int(value) if value.isdigit() else None


def _raise_for_error(response: httpx.Response) -> None:
    """``ApiError`` for a 4xx/5xx answer."""
    if response.status_code < 400:
        return
    try:
        body = response.json()
        error = body["error"]
        raise ApiError(
            response.status_code, error["code"], error["message"], body, response.headers
        )
    except (ValueError, KeyError, TypeError):
        raise ApiError(
            response.status_code, "UNKNOWN", response.text, None, response.headers
        ) from None


class DiscoClient:
    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        device_token: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.refresh_token: str | None = None
        self.user: dict[str, Any] | None = None
        # What the last sign-in handed this device; sent with every login, so other people's
        # failed attempts on the account (or from this network) never hold this device up.
        # Keep it across runs (pass it back in) to stay a known device.
        self.device_token = device_token
        self.http = httpx.AsyncClient(base_url=self.base_url, transport=transport, timeout=timeout)

    async def __aenter__(self) -> DiscoClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self.http.aclose()

    # --- HTTP -----------------------------------------------------------------------------------
    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request with the current token; return the raw response, whatever its status."""
        headers = dict(kwargs.pop("headers", None) or {})
        if self.token and "authorization" not in {k.lower() for k in headers}:
            headers["Authorization"] = f"Bearer {self.token}"
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request; return the JSON body, or raise ``ApiError``."""
        response = await self.request(method, path, **kwargs)
        _raise_for_error(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    async def get(self, path: str, **kwargs: Any) -> Any:
        return await self.call("GET", path, **kwargs)

    async def post(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return await self.call("POST", path, json=json, **kwargs)

    async def put(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return await self.call("PUT", path, json=json, **kwargs)

    async def patch(self, path: str, json: Any = None, **kwargs: Any) -> Any:
        return await self.call("PATCH", path, json=json, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> Any:
        return await self.call("DELETE", path, **kwargs)

    # --- auth -----------------------------------------------------------------------------------
    def _keep(self, pair: dict[str, Any]) -> dict[str, Any]:
        self.token = pair["token"]
        self.refresh_token = pair["refreshToken"]
        self.user = pair["user"]
        self.device_token = pair.get("deviceToken") or self.device_token
        return pair

    async def signup(
        self, email: str, password: str, first_name: str, last_name: str
    ) -> dict[str, Any]:
        return self._keep(
            await self.post(
                "/v1/auth/signup",
                {
                    "email": email,
                    "password": password,
                    "firstName": first_name,
                    "lastName": last_name,
                },
            )
        )

    async def login(self, email: str, password: str) -> dict[str, Any]:
        """The token pair; with two-factor on, ``{"mfaRequired": true, "mfaToken"}`` instead,
        to be finished with ``verify_mfa``."""
        body = {"email": email, "password": password}
        if self.device_token:
            body["deviceToken"] = self.device_token
        answer = await self.post("/v1/auth/login", body)
        return answer if answer.get("mfaRequired") else self._keep(answer)

    async def verify_mfa(self, mfa_token: str, code: str) -> dict[str, Any]:
        return self._keep(
            await self.post("/v1/auth/2fa/verify", {"mfaToken": mfa_token, "code": code})
        )

    async def refresh(self) -> dict[str, Any]:
        return self._keep(await self.post("/v1/auth/refresh", {"refreshToken": self.refresh_token}))

    async def logout(self) -> None:
        await self.post("/v1/auth/logout")

    # --- chat -----------------------------------------------------------------------------------
    async def rooms(self) -> list[dict[str, Any]]:
        """Your chats, most recent first."""
        answer: dict[str, Any] = await self.get("/v1/chats/rooms")
        return list(answer["rooms"])

    async def send_message(
        self,
        room_id: str,
        body: bytes,
        *,
        client_message_id: str | None = None,
        media_ids: list[str] | None = None,
        sender_device_id: str | None = None,
        franking_tag: str | None = None,
    ) -> dict[str, Any]:
        """Send ``body`` as it is (the server never reads it): ``SecureChat.send`` in
        ``disco.client.e2ee`` sends an end-to-end encrypted envelope through here, with its
        device and franking tag. A ``client_message_id`` makes a retry safe."""
        payload: dict[str, Any] = {"ciphertext": base64.b64encode(body).decode()}
        if client_message_id is not None:
            payload["clientMessageId"] = client_message_id
        if sender_device_id is not None:
            payload["senderDeviceId"] = sender_device_id
        if franking_tag is not None:
            payload["frankingTag"] = franking_tag
        if media_ids:
            payload["mediaIds"] = media_ids
        sent: dict[str, Any] = await self.post(f"/v1/chats/rooms/{room_id}/messages", payload)
        return sent

    async def upload_media(
        self, room_id: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> dict[str, Any]:
        """Upload an attachment's bytes as they are (``SecureChat.send_attachment`` uploads
        them encrypted): ``{id, ...}``; name the id in a message to send it."""
        media: dict[str, Any] = await self.call(
            "POST",
            f"/v1/chats/rooms/{quote(room_id, safe='')}/media",
            content=data,
            headers={"Content-Type": content_type},
        )
        return media

    async def download_media(self, room_id: str, media_id: str) -> bytes:
        """An attachment's bytes, as uploaded (room members only)."""
        path = f"/v1/chats/rooms/{quote(room_id, safe='')}/media/{quote(media_id, safe='')}"
        response = await self.request("GET", path)
        _raise_for_error(response)
        return response.content

    async def messages(
        self, room_id: str, *, after: int | None = None, before: int | None = None, limit: int = 50
    ) -> dict[str, Any]:
        """One page: ``{messages, hasMore}``, oldest first."""
        params = {"limit": limit}
        if after is not None:
            params["after"] = after
        if before is not None:
            params["before"] = before
        page: dict[str, Any] = await self.get(f"/v1/chats/rooms/{room_id}/messages", params=params)
        return page

    async def iter_messages(
        self, room_id: str, *, after: int = 0, page_size: int = 100
    ) -> AsyncIterator[dict[str, Any]]:
        """Every live message after ``after``, in order, page by page (catch-up)."""
        while True:
            page = await self.messages(room_id, after=after, limit=page_size)
            for message in page["messages"]:
                yield message
            if not page["hasMore"] or not page["messages"]:
                return
            after = page["messages"][-1]["seq"]

    async def mark_read(self, room_id: str, seq: int) -> None:
        await self.post(f"/v1/chats/rooms/{room_id}/read", {"seq": seq})

    @staticmethod
    def body_of(message: dict[str, Any]) -> bytes:
        """A received message's envelope, as the sender passed it to ``send_message``."""
        return base64.b64decode(message["ciphertext"])

    # --- WebSocket ------------------------------------------------------------------------------
    def socket(self, *, token_in: str = "subprotocol", origin: str | None = None) -> Socket:
        """A WebSocket to ``/v1/ws``; the token travels in a subprotocol (default), the query
        string (``token_in="query"``) or a first ``auth`` frame (``token_in="frame"``)."""
        if self.token is None:
            raise RuntimeError("sign in first")
        return Socket(self.base_url, self.token, token_in=token_in, origin=origin)


class Socket:
    def __init__(self, base_url: str, token: str, *, token_in: str, origin: str | None) -> None:
        ws_url = base_url.replace("http://", "ws://").replace("https://", "wss://") + "/v1/ws"
        self._token = token
        self._token_in = token_in
        subprotocols = ["disco.v1"]
        if token_in == "subprotocol":
            subprotocols.append(f"bearer.{token}")
        elif token_in == "query":
            ws_url += f"?token={token}"
        self._url = ws_url
        self._subprotocols = subprotocols
        self._origin = origin
        self.ws: ClientConnection | None = None
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._reader: asyncio.Task[None] | None = None
        self.closed = asyncio.Event()
        self.close_code: int | None = None

    async def __aenter__(self) -> Socket:
        await self.open()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    async def open(self) -> None:
        self.ws = await connect(
            self._url,
            subprotocols=self._subprotocols,  # type: ignore[arg-type]
            origin=self._origin,  # type: ignore[arg-type]
            max_size=2**20,
        )
        if self._token_in == "frame":
            await self.send("auth", {"token": self._token})
        self._reader = asyncio.create_task(self._read())
        await self.expect("ready")

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for raw in self.ws:
                await self.frames.put(json.loads(raw))
        except Exception:  # noqa: S110 - a dropped connection ends the reader; close_code says why
            pass
        finally:
            self.close_code = self.ws.close_code
            self.closed.set()

    async def send(self, kind: str, data: dict[str, Any] | None = None) -> None:
        assert self.ws is not None
        await self.ws.send(json.dumps({"type": kind, "data": data or {}}))

    async def send_raw(self, raw: str | bytes) -> None:
        assert self.ws is not None
        await self.ws.send(raw)

    async def receive(self, timeout: float = 5.0) -> dict[str, Any]:
        return await asyncio.wait_for(self.frames.get(), timeout)

    async def expect(self, kind: str, timeout: float = 5.0) -> dict[str, Any]:
        """The next frame of type ``kind``, skipping others; raises TimeoutError if none comes."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            frame = await asyncio.wait_for(self.frames.get(), max(0.0, remaining))
            if frame.get("type") == kind:
                return frame

    async def wait_closed(self, timeout: float = 5.0) -> int | None:
        await asyncio.wait_for(self.closed.wait(), timeout)
        return self.close_code

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)
