"""A Disco process the test can really kill: ``python -m disco <command>`` in a child process.

Crash tests start one service (or all of ``disco up``) this way, SIGKILL it at the moment they
mean to test, and start it again on the same port and backends.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from disco.config import SERVICES, Settings
from tests.support.backends import Running, backend_settings, serve
from tests.support.net import free_port
from tests.support.poll import eventually

__all__ = ["JOINING", "DiscoProcess", "process_env", "serving_apart"]

# What a child process needs of the test's settings to join its system.
JOINING = ("data_dir", "environment", "namespace", "database_url", "redis_url", "amqp_url")


def process_env(settings: Settings, names: Iterable[str] = JOINING, **extra: str) -> dict[str, str]:
    """This process's environment without its ``DISCO_*`` variables, then the named settings
    (those set) and ``extra`` as ``DISCO_*`` variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DISCO_")}
    values = settings.model_dump(mode="json", exclude_none=True)
    for name in names:
        if name in values:
            env[f"DISCO_{name.upper()}"] = str(values[name])
    env.update({f"DISCO_{name.upper()}": value for name, value in extra.items()})
    return env


class DiscoProcess:
    """``args`` (``["serve", "auth"]``, ``["up"]``) on its own port, started until ``/readyz``
    (or ``ready_path``) answers 200."""

    def __init__(
        self,
        args: list[str],
        env: Mapping[str, str],
        log: Path,
        *,
        port: int | None = None,
        ready_path: str = "/readyz",
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(env)
        self._args = args
        self._log = log
        self._ready_path = ready_path
        self._child: subprocess.Popen[bytes] | None = None

    async def start(self, **env: str) -> None:
        """``env``: more variables for this start only, ``DISCO_OUTBOX_RELAY="false"`` say."""
        with self._log.open("ab") as log:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "disco", *self._args, "--port", str(self.port)],
                env={**self.env, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        async with httpx.AsyncClient() as http:

            async def ready() -> bool:
                child = self._child
                assert child is not None and child.poll() is None, self._log.read_text()[-4000:]
                try:
                    response = await http.get(self.url + self._ready_path)
                except httpx.TransportError:
                    return False
                return response.status_code == 200

            await eventually(ready, timeout=60, what=f"disco {' '.join(self._args)} to start")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine dies."""
        if self._child is not None:
            self._child.send_signal(signal.SIGKILL)
            self._child.wait(timeout=30)
            self._child = None

    def stop(self) -> None:
        if self._child is not None:
            self._child.terminate()
            try:
                self._child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._child.kill()
                self._child.wait()
            self._child = None


@asynccontextmanager
async def serving_apart(
    service: str, tmp_path: Path
) -> AsyncIterator[tuple[Settings, Running, DiscoProcess]]:
    """On real backends: ``service`` in a ``disco serve`` process of its own, started, and
    every other service in this one (``backends.serve``), whose gateway forwards to it."""
    port = free_port()
    async with backend_settings(
        "real", tmp_path, service_urls={service: f"http://127.0.0.1:{port}"}
    ) as settings:
        apart = DiscoProcess(
            ["serve", service], process_env(settings), tmp_path / f"{service}.log", port=port
        )
        try:
            async with serve(settings, [s for s in SERVICES if s != service]) as running:
                # It checks tokens against auth's keys, found behind the gateway (serve made
                # the shared key file first).
                apart.env["DISCO_SERVICE_URLS"] = json.dumps({"auth": running.url})
                await apart.start()
                yield settings, running, apart
        finally:
            apart.stop()
