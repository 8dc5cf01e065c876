"""``disco simulate``: simulated people walking around a point, through the public API only.

Each one signs up (or, on a later run, signs back in to the same account), gets a profile
drawn from a few common interests, switches discovery on, opens a WebSocket and walks about,
sending a ``location_update`` every few seconds. Every ``nearby`` frame they receive is printed,
so a person running ``disco up`` watches notifications happen, and can join in from the web
client near the same point.

With ``chat`` on they also act on what they hear, as a person would, each step a few seconds
(jittered) after the frame that prompts it: interest in whoever comes nearby, a yes to every
request, and with each match a short exchange in the pair's chat: an opener, then a reply to
each message received, up to ``messages_per_chat`` each. Messages are plaintext, base64-encoded
as the ciphertext (no end-to-end encryption: these are demo accounts), so a web client that
joins in cannot read them, nor they the web client's.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import math
import random
import uuid
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

from disco.client.sdk import ApiError, DiscoClient, Socket

__all__ = ["Simulation", "Tally", "Walker"]

# Throwaway accounts of a local simulation, the same each run so they are reused.
PASSWORD = "simulated walker passphrase"
INTERESTS = ("hiking", "coffee", "live music", "photography", "cooking", "chess", "yoga", "art")
ACTIVITIES = ("coffee", "walk", "drinks", "quick_chat")
RADII = (150, 500, 1609)
FIRST_NAMES = ("Alex", "Sam", "Robin", "Kim", "Jo", "Max", "Noa", "Lee", "Ana", "Eli", "Ivy", "Ola")
WALKING_SPEED_MPS = 1.4
METRES_PER_DEGREE_LAT = 111_195.0
OPENERS = (
    "Hi! I think we just walked past each other.",
    "Hey, fancy a coffee nearby?",
    "Hello! Nice to match with you.",
)
REPLIES = (
    "Sounds good!",
    "Ha, yes. Where are you headed?",
    "I'm near the park, you?",
    "Sure, in ten minutes?",
    "Nice to meet you too!",
)
ROOM_WAIT_S = 300.0  # a match's chat opens a moment after it (an event): wait this long at most


@dataclass
class Walker:
    """One simulated person: where they are and where they are heading."""

    name: str
    latitude: float
    longitude: float
    heading: float  # radians, 0 = north
    interests: list[str] = field(default_factory=list)
    activities: list[str] = field(default_factory=list)
    radius_m: int = RADII[0]

    def step(
        self, seconds: float, home: tuple[float, float], spread_m: float, rng: random.Random
    ) -> None:
        """Walk on, turning a little; turn back towards home once too far from it."""
        self.heading += rng.gauss(0.0, 0.5)
        north, east = self.offset_from(home)
        if math.hypot(north, east) > spread_m:
            self.heading = math.atan2(-east, -north)
        distance = WALKING_SPEED_MPS * seconds
        self.latitude += distance * math.cos(self.heading) / METRES_PER_DEGREE_LAT
        self.longitude += (
            distance
            * math.sin(self.heading)
            / (METRES_PER_DEGREE_LAT * math.cos(math.radians(self.latitude)))
        )

    def offset_from(self, home: tuple[float, float]) -> tuple[float, float]:
        north = (self.latitude - home[0]) * METRES_PER_DEGREE_LAT
        east = (
            (self.longitude - home[1])
            * METRES_PER_DEGREE_LAT
            * math.cos(math.radians(self.latitude))
        )
        return north, east


@dataclass
class Tally:
    """What one walker saw and did in a run."""

    nearby: int = 0
    matches: int = 0
    sent: int = 0
    received: int = 0
    errors: int = 0


class Simulation:
    def __init__(
        self,
        base_url: str,
        *,
        users: int,
        near: tuple[float, float],
        spread_m: float = 600.0,
        interval_s: float = 2.0,
        seed: int | None = None,
        say: Callable[[str], None] = print,
        chat: bool = False,
        chat_pause_s: float = 4.0,
        messages_per_chat: int = 3,
        accounts: str = "sim",
        radii: Sequence[int] = RADII,
    ) -> None:
        """``chat_pause_s``: about how long a walker takes to act on a frame (interest, accept,
        reply), jittered from the seeded rng. ``accounts``: the walkers' names (and emails)
        start with it; another prefix is another set of people."""
        self.base_url = base_url
        self.users = users
        self.near = near
        self.spread_m = spread_m
        self.interval_s = interval_s
        self.rng = random.Random(seed)
        self.say = say
        self.chat = chat
        self.chat_pause_s = chat_pause_s
        self.messages_per_chat = messages_per_chat
        # Each walker's discovery radius is drawn from these. Shown positions are displaced by
        # about 90 m (location privacy), so walkers 20 m apart with 150 m radii are out of
        # each other's range about a third of the time: a test wants a mile.
        self.radii = tuple(radii)
        # Drawn up front, in order, so a seed decides every walker's place and profile however
        # the run's requests interleave.
        self.walkers = [self._place(f"{accounts}-{i:03d}") for i in range(users)]
        self.tallies = {walker.name: Tally() for walker in self.walkers}
        self.match_ids: set[str] = set()
        self.notifications = 0
        self._stopping: asyncio.Event | None = None

    async def run(self, duration_s: float | None = None) -> int:
        """Walk until ``duration_s`` has passed, ``stop()`` is called, or for ever; returns the
        nearby frames seen."""
        self._stopping = asyncio.Event()
        tasks = [asyncio.create_task(self._person(walker, duration_s)) for walker in self.walkers]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return self.notifications

    def stop(self) -> None:
        """End the walks now (each walker finishes its step and signs off)."""
        if self._stopping is not None:
            self._stopping.set()

    def summary(self) -> str:
        tallies = self.tallies.values()
        line = f"{self.notifications} nearby notifications"
        if self.chat:
            sent, received = sum(t.sent for t in tallies), sum(t.received for t in tallies)
            matches = len(self.match_ids)
            line += f"; chat: {matches} matches, {sent} messages sent, {received} received"
        errors = sum(t.errors for t in tallies)
        return line + (f", {errors} errors" if errors else "")

    async def _person(self, walker: Walker, duration_s: float | None) -> None:
        name = walker.name
        async with DiscoClient(self.base_url) as client:
            await self._sign_in(client, name)
            await self._set_up(client, walker)
            async with client.socket() as socket:
                self.say(f"{name} walking near {self.near[0]:.4f},{self.near[1]:.4f}")
                chatter = _Chatter(self, name, client) if self.chat else None
                listener = asyncio.create_task(self._listen(name, socket, chatter))
                try:
                    if chatter is not None:
                        chatter.spawn("catching up", chatter.catch_up())
                    await self._walk(walker, socket, duration_s)
                finally:
                    listener.cancel()
                    await asyncio.gather(listener, return_exceptions=True)
                    if chatter is not None:
                        await chatter.close()

    def _place(self, name: str) -> Walker:
        north = self.rng.uniform(-self.spread_m, self.spread_m)
        east = self.rng.uniform(-self.spread_m, self.spread_m)
        lat = self.near[0] + north / METRES_PER_DEGREE_LAT
        lon = self.near[1] + east / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat)))
        interests = self.rng.sample(INTERESTS, 3)
        heading = self.rng.uniform(0, 2 * math.pi)
        activities = self.rng.sample(ACTIVITIES, 2)
        return Walker(name, lat, lon, heading, interests, activities, self.rng.choice(self.radii))

    async def _sign_in(self, client: DiscoClient, name: str) -> None:
        """Sign up; an account already there (an earlier run) is signed in to instead. Signing
        up first means a fresh walker never costs a failed login, which the server's throttle
        would count against the walkers' shared address."""
        email = f"{name}@simulated.example.com"
        first = FIRST_NAMES[int(name.rsplit("-", 1)[1]) % len(FIRST_NAMES)]
        while True:
            try:
                try:
                    await client.signup(email, PASSWORD, first, "Walker")
                except ApiError as error:
                    if error.status != 409:
                        raise
                    await client.login(email, PASSWORD)
                return
            except ApiError as error:
                if error.status != 429:  # a rate limit: wait as long as the server asks
                    raise
                await asyncio.sleep(self.backoff(error))

    def backoff(self, error: ApiError) -> float:
        """How long to wait out a 429: as long as the server asks (a minute at most)."""
        return min(60, error.retry_after or 5) + self.rng.random()

    def pause(self) -> float:
        """A person's moment before acting on something: ``chat_pause_s``, jittered."""
        return self.chat_pause_s * self.rng.uniform(0.5, 1.5)

    async def _set_up(self, client: DiscoClient, walker: Walker) -> None:
        await client.patch(
            "/v1/users/me",
            json={"interests": walker.interests, "activities": walker.activities, "mode": "social"},
        )
        await client.put(
            "/v1/users/me/preferences",
            json={"discoveryRadiusMeters": walker.radius_m, "timeWindows": []},
        )
        await client.put("/v1/discovery", json={"enabled": True})

    async def _walk(self, walker: Walker, socket: Socket, duration_s: float | None) -> None:
        loop = asyncio.get_running_loop()
        ends = None if duration_s is None else loop.time() + duration_s
        # Spread the first updates over one interval so the server sees a steady stream.
        await self._rest(self.rng.random() * self.interval_s)
        while not self._stopped() and (ends is None or loop.time() < ends):
            await socket.send(
                "location_update",
                {"latitude": walker.latitude, "longitude": walker.longitude, "accuracy": 10},
            )
            await self._rest(self.interval_s)
            walker.step(self.interval_s, self.near, self.spread_m, self.rng)

    def _stopped(self) -> bool:
        return self._stopping is not None and self._stopping.is_set()

    async def _rest(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the simulation is stopped meanwhile."""
        if self._stopping is None:
            await asyncio.sleep(seconds)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _listen(self, name: str, socket: Socket, chatter: _Chatter | None) -> None:
        while True:
            frame = await socket.frames.get()
            kind, data = frame.get("type"), frame.get("data") or {}
            if kind == "nearby":
                self.notifications += 1
                self.tallies[name].nearby += 1
                shared = ", ".join(data.get("sharedInterests") or []) or "nothing yet"
                self.say(
                    f"{name} <- nearby: {data.get('name', '?')} {data.get('distance', '')}"
                    f" (shared: {shared})"
                )
            elif kind == "error":
                self.say(f"{name} <- error: {data}")
            if chatter is not None:
                chatter.on_frame(str(kind), data)


class _Chatter:
    """One walker's side of meeting people: interest in whoever comes nearby, a yes to whoever
    asks, and a few messages with each match. Each action is a task of its own, so the socket is
    read on while a walker 'thinks'; a failed action is reported and counted, never fatal."""

    def __init__(self, simulation: Simulation, name: str, client: DiscoClient) -> None:
        assert client.user is not None  # signed in
        self.sim = simulation
        self.name = name
        self.client = client
        self.me = str(client.user["id"])
        self.tally = simulation.tallies[name]
        self.names: dict[str, str] = {}  # user id -> first name, as frames and rooms tell
        self.asked: set[str] = set()  # people this walker has expressed interest in
        self.answered: set[str] = set()  # connection requests accepted
        self.greeted: set[str] = set()  # matches whose chat this walker has opened
        self.left: dict[str, int] = {}  # room id -> messages this walker may still send there
        self.peers: dict[str, str] = {}  # room id -> the other member's user id
        self.heard: set[str] = set()  # message ids received
        self.tasks: set[asyncio.Task[None]] = set()

    def spawn(self, what: str, action: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(self._guarded(what, action))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def close(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _guarded(self, what: str, action: Coroutine[Any, Any, None]) -> None:
        try:
            await action
        except Exception as exc:  # a walker carries on whatever one step met
            self.tally.errors += 1
            self.sim.say(f"{self.name} !! {what} failed: {exc!r}")

    async def call(self, method: str, path: str, json: Any = None) -> Any:
        """``client.call``, waiting out 429s."""
        while True:
            try:
                return await self.client.call(method, path, json=json)
            except ApiError as error:
                if error.status != 429:
                    raise
                await asyncio.sleep(self.sim.backoff(error))

    # --- frames ---------------------------------------------------------------------------------
    def on_frame(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "nearby" and data.get("userId"):
            user_id = str(data["userId"])
            self.names[user_id] = str(data.get("name", "?"))
            if user_id not in self.asked:
                self.asked.add(user_id)
                self.spawn(f"interest in {user_id}", self._interest(user_id))
        elif kind == "connection_request" and data.get("connectionId"):
            self.spawn("accepting", self._accept(str(data["connectionId"])))
        elif kind == "match_update" and data.get("status") == "matched":
            self._matched(str(data["matchId"]), str(data.get("userId", "")))
        elif kind == "message":
            self._heard(data)

    async def catch_up(self) -> None:
        """Requests that came while this walker was away are accepted now."""
        listed = await self.call("GET", "/v1/connections")
        for connection in listed["connections"]:
            if connection["direction"] == "incoming" and connection["status"] == "pending":
                self.names[connection["userId"]] = connection["name"]
                self.spawn("accepting", self._accept(connection["id"]))

    # --- connections ----------------------------------------------------------------------------
    async def _interest(self, user_id: str) -> None:
        await asyncio.sleep(self.sim.pause())
        try:
            answer = await self.call("POST", "/v1/connections", {"userId": user_id})
        except Exception:
            self.asked.discard(user_id)  # the next time they come by, try again
            raise
        self.sim.say(f"{self.name} -> interest in {self.names.get(user_id, user_id)}")
        if answer.get("matchId"):  # they had asked first (or an earlier run matched them)
            self._matched(str(answer["matchId"]), user_id)

    async def _accept(self, connection_id: str) -> None:
        if connection_id in self.answered:
            return
        self.answered.add(connection_id)
        await asyncio.sleep(self.sim.pause())
        answer = await self.call("POST", f"/v1/connections/{connection_id}/accept")
        self.sim.say(f"{self.name} -> accepted {answer.get('name', '?')}")
        if answer.get("matchId"):
            self._matched(str(answer["matchId"]), str(answer["userId"]))

    def _matched(self, match_id: str, user_id: str) -> None:
        if match_id in self.greeted:
            return
        self.greeted.add(match_id)
        self.tally.matches += 1
        self.sim.match_ids.add(match_id)
        self.sim.say(f"{self.name} <- matched with {self.names.get(user_id, user_id)}")
        self.spawn("opening the chat", self._open(match_id))

    # --- chat -----------------------------------------------------------------------------------
    async def _open(self, match_id: str) -> None:
        room = await self._room_of(match_id)
        if room is None:
            raise TimeoutError(f"no chat opened for match {match_id} in {ROOM_WAIT_S:.0f}s")
        peer = room["peer"]
        self.names[peer["userId"]] = peer["name"]
        self.peers[room["id"]] = peer["userId"]
        await asyncio.sleep(self.sim.pause())
        if self._take_turn(room["id"], opener=True):
            await self._send(room["id"], self.sim.rng.choice(OPENERS))

    async def _room_of(self, match_id: str) -> dict[str, Any] | None:
        loop = asyncio.get_running_loop()
        deadline, wait = loop.time() + ROOM_WAIT_S, 0.5
        while loop.time() < deadline:
            rooms = (await self.call("GET", "/v1/chats/rooms"))["rooms"]
            for room in rooms:
                if room["matchId"] == match_id and room["status"] == "open":
                    return dict(room)
            await asyncio.sleep(wait * self.sim.rng.uniform(1.0, 1.5))
            wait = min(5.0, wait * 1.5)  # look again soon, then less often
        return None

    def _take_turn(self, room_id: str, *, opener: bool = False) -> bool:
        """Whether to send one more message in the room (and if so, counting it now). An
        opener only starts a chat: it is not sent once the peer has written first."""
        left = self.left.setdefault(room_id, self.sim.messages_per_chat)
        if left <= 0 or (opener and left < self.sim.messages_per_chat):
            return False
        self.left[room_id] = left - 1
        return True

    def _heard(self, message: dict[str, Any]) -> None:
        sender, message_id = str(message.get("senderId")), str(message.get("id"))
        if sender == self.me or message_id in self.heard:  # an echo of its own, or a repeat
            return
        self.heard.add(message_id)
        self.tally.received += 1
        room_id = str(message["roomId"])
        self.peers.setdefault(room_id, sender)
        self.sim.say(f"{self.name} <- {self.names.get(sender, sender)}: {_text(message)}")
        if self._take_turn(room_id):
            self.spawn("replying", self._reply(room_id))

    async def _reply(self, room_id: str) -> None:
        await asyncio.sleep(self.sim.pause())
        await self._send(room_id, self.sim.rng.choice(REPLIES))

    async def _send(self, room_id: str, text: str) -> None:
        body = {
            "ciphertext": base64.b64encode(text.encode()).decode(),
            "clientMessageId": f"sim-{uuid.uuid4().hex}",  # a retry after a 429 sends it once
        }
        await self.call("POST", f"/v1/chats/rooms/{room_id}/messages", body)
        self.tally.sent += 1
        peer = self.peers.get(room_id, "")
        self.sim.say(f"{self.name} -> {self.names.get(peer, peer)}: {text}")


def _text(message: dict[str, Any]) -> str:
    """A simulated walker's message as sent; someone else's (an app's, encrypted) is opaque."""
    try:
        return base64.b64decode(str(message.get("ciphertext")), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return "(encrypted)"
