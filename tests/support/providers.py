"""Real local HTTP servers standing in for the SMS and push providers, with failure switches.

Each is a plain HTTP server on a free port in a thread of its own (like the ``Mailbox``).
It records every request it receives, answered or refused, and can be told to fail: with a
given status for the next N requests, or until told to recover; or to answer slowly.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.net import free_port


@dataclass(frozen=True)
class ProviderRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    status: int  # what the server answered

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    @property
    def idempotency_key(self) -> str | None:
        return self.headers.get("idempotency-key")


class _Server(ThreadingHTTPServer):
    # A deep accept queue: the stdlib's 5 would refuse connections of busy dispatchers.
    request_queue_size = 128
    daemon_threads = True


class Provider:
    def __init__(self, key: str = "test-provider-key") -> None:
        self.key = key
        self.port = free_port()
        self.requests: list[ProviderRequest] = []
        self._lock = threading.Lock()
        self._fail_next = 0
        self._failing = False
        self._fail_status = 500
        # Seconds each answer takes, like a distant provider (so a queue drains slowly).
        self.delay_seconds = 0.0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/messages"

    # --- switches -------------------------------------------------------------------------------
    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._fail_next, self._fail_status = count, status

    def fail_until_recovered(self, status: int = 500) -> None:
        with self._lock:
            self._failing, self._fail_status = True, status

    def recover(self) -> None:
        with self._lock:
            self._failing, self._fail_next = False, 0

    # --- what arrived ---------------------------------------------------------------------------
    def accepted(self) -> list[ProviderRequest]:
        with self._lock:
            return [r for r in self.requests if r.accepted]

    def accepted_to(self, field: str, value: str) -> list[ProviderRequest]:
        return [r for r in self.accepted() if r.body.get(field) == value]

    def refused(self) -> list[ProviderRequest]:
        with self._lock:
            return [r for r in self.requests if not r.accepted]

    def accepted_twice(self) -> list[str]:
        """Idempotency keys the provider accepted more than once (a real one would dedupe)."""
        counts = Counter(r.idempotency_key for r in self.accepted())
        return [key or "<none>" for key, n in counts.items() if n > 1 or key is None]

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ProviderRequest]:
        """Until ``count`` requests were accepted."""
        deadline = asyncio.get_running_loop().time() + timeout
        while len(self.accepted()) < count:
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"{count} accepted request(s) did not arrive")
            await asyncio.sleep(0.02)
        return self.accepted()

    # --- serving --------------------------------------------------------------------------------
    def _answer(self, path: str, headers: dict[str, str], raw: bytes) -> int:
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {"<unparsable>": raw.decode(errors="replace")}
        with self._lock:
            if headers.get("authorization") != f"Bearer {self.key}":
                status = 401
            elif self._failing:
                status = self._fail_status
            elif self._fail_next > 0:
                self._fail_next -= 1
                status = self._fail_status
            else:
                status = 202
            self.requests.append(ProviderRequest(path, headers, body, status))
        return status

    def start(self) -> None:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                if len(raw) < length:
                    # The sender died mid-request (a test killed it): like a real provider,
                    # take nothing from it. Recorded as accepted, its empty body was a message.
                    self.close_connection = True
                    return
                headers = {k.lower(): v for k, v in self.headers.items()}
                time.sleep(provider.delay_seconds)
                status = provider._answer(self.path, headers, raw)
                payload = json.dumps({"ok": 200 <= status < 300}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *_: Any) -> None:
                pass  # quiet: the test reads ``requests`` instead

        self._server = _Server(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
