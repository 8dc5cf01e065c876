"""Faults the fault suite inflicts on a running cluster: the shared servers restarted, and one
process cut off from a server by a TCP proxy the test controls.

The servers are the machine's own (scripts/services starts them), so every restart ends by
starting the server again and waiting until it answers, whatever happened meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=120)


def start_every_server() -> None:
    """scripts/services starts whichever server is down and waits until all three answer (what
    a test that restarts them runs as it ends, however it ends)."""
    _run(str(ROOT / "scripts" / "services"), "start")


def _postgres_version() -> str:
    (version,) = os.listdir("/etc/postgresql")
    return version


def _stop_postgres() -> None:
    # fast: every session is ended at once, as a crash or an operator's restart would.
    _run(
        "pg_ctlcluster",
        "--skip-systemctl-redirect",
        _postgres_version(),
        "main",
        "stop",
        "-m",
        "fast",
    )


def _stop_redis() -> None:
    # Redis keeps nothing on disk here: it comes back empty, as after any restart of ours.
    _run("redis-cli", "-h", "127.0.0.1", "-p", "6379", "shutdown", "nosave")


def _stop_rabbitmq() -> None:
    _run("rabbitmqctl", "stop_app")


def _start_rabbitmq() -> None:
    # Its failure is not the end: scripts/services restarts a broker that does not answer.
    subprocess.run(["rabbitmqctl", "start_app"], check=False, capture_output=True, timeout=120)
    start_every_server()  # waits for the AMQP handshake


STOPS: dict[str, tuple[Callable[[], None], Callable[[], None]]] = {
    "postgresql": (_stop_postgres, start_every_server),
    "redis": (_stop_redis, start_every_server),
    "rabbitmq": (_stop_rabbitmq, _start_rabbitmq),
}


def _restart(name: str, down_seconds: float) -> None:
    stop, start = STOPS[name]
    try:
        stop()
        time.sleep(down_seconds)
    finally:
        start()


async def restart_server(name: str, down_seconds: float) -> None:
    """Stop the shared ``name`` server, keep it down ``down_seconds``, start it again and wait
    until it answers. In one thread, stop to start: the traffic on the event loop goes on, and
    a cancelled test cannot leave the start running before the stop has ended."""
    await asyncio.shield(asyncio.to_thread(_restart, name, down_seconds))


# --- a partition: one process cut off from a server -----------------------------------------------
def _socket_inode(local_port: int, remote_port: int) -> str | None:
    """The inode of this machine's IPv4 socket 127.0.0.1:local_port -> 127.0.0.1:remote_port."""
    wanted = (f"0100007F:{local_port:04X}", f"0100007F:{remote_port:04X}")
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if (fields[1], fields[2]) == wanted:
                return fields[9]
    return None


def _holds(pid: int, inode: str) -> bool:
    target = f"socket:[{inode}]"
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in descriptors:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                return True
    return False


class Gate:
    """A TCP proxy in front of a server (the fault suite's cluster names it as its broker).
    ``cut(pids)`` ends those processes' connections and refuses their new ones (found through
    /proc: which process holds the other end) until ``heal()``; every other process's traffic
    flows. ``drop_all()`` ends every connection, as a server restart does. ``trip_on(marker)``
    lets everything through until a client sends bytes holding ``marker``: that request is not
    delivered, its connection ends, and every new one is refused until ``heal()`` (an outage
    that begins at a chosen step)."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream_port = upstream_port
        self._server: asyncio.Server | None = None
        self._cut: frozenset[int] = frozenset()
        self._open: dict[asyncio.StreamWriter, int] = {}  # client side -> the client's port
        self.refused = 0
        self._trip: bytes | None = None
        self._tripped = False

    @property
    def port(self) -> int:
        assert self._server is not None
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Gate]:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        try:
            yield self
        finally:
            self._server.close()
            for writer in list(self._open):
                writer.close()
            await self._server.wait_closed()

    async def cut(self, pids: list[int]) -> None:
        self._cut = frozenset(pids)
        for writer, peer_port in list(self._open.items()):
            if await self._owner(peer_port, self._cut) is not None:
                writer.transport.abort()

    def heal(self) -> None:
        self._cut = frozenset()
        self._trip = None
        self._tripped = False

    def trip_on(self, marker: bytes) -> None:
        self._trip = marker

    def drop_all(self) -> None:
        """Close every connection as a server that shuts down does (a FIN, not a reset)."""
        for writer in list(self._open):
            writer.close()

    async def _owner(self, peer_port: int, candidates: frozenset[int]) -> int | None:
        inode = await asyncio.to_thread(_socket_inode, peer_port, self.port)
        if inode is None:
            return None
        for pid in candidates:
            if await asyncio.to_thread(_holds, pid, inode):
                return pid
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer_port = writer.get_extra_info("peername")[1]
        # Only a cut process is looked for: the others need no name to pass.
        owner = await self._owner(peer_port, self._cut) if self._cut else None
        if owner is not None or self._tripped:
            self.refused += 1
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._upstream_port)
        except OSError:
            writer.transport.abort()  # the server itself is down: so is its proxy
            return
        self._open[writer] = peer_port
        try:
            await asyncio.gather(self._forward(reader, up_writer), _pump(up_reader, writer))
        finally:
            self._open.pop(writer, None)
            for side in (writer, up_writer):
                side.transport.abort()

    async def _forward(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        """The client's side: as ``_pump``, but a request holding the trip wire's marker ends
        the connection instead of reaching the server."""
        await _pump(source, sink, self._crosses_trip_wire)

    def _crosses_trip_wire(self, data: bytes) -> bool:
        if self._trip is not None and self._trip in data:
            self._tripped = True
        return self._tripped


async def _pump(
    source: asyncio.StreamReader,
    sink: asyncio.StreamWriter,
    stop: Callable[[bytes], bool] = lambda _: False,
) -> None:
    try:
        while (data := await source.read(65536)) and not stop(data):
            sink.write(data)
            await sink.drain()
    except OSError:  # reset by either side
        pass
    finally:
        sink.transport.abort()
