"""``disco simulate``: simulated people walking around a point, through the public API only.

Each one signs up (or, on a later run, signs back in to the same account), gets a profile
drawn from a few common interests, switches discovery on, opens a WebSocket and walks about,
sending a ``location_update`` every few seconds. Every ``nearby`` frame they receive is printed,
so a person running ``disco up`` watches notifications happen, and can join in from the web
client near the same point.
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from disco.client.sdk import ApiError, DiscoClient, Socket

__all__ = ["Simulation", "Walker"]

# Throwaway accounts of a local simulation, the same each run so they are reused.
PASSWORD = "simulated walker passphrase"
INTERESTS = ("hiking", "coffee", "live music", "photography", "cooking", "chess", "yoga", "art")
ACTIVITIES = ("coffee", "walk", "drinks", "quick_chat")
RADII = (150, 500, 1609)
FIRST_NAMES = ("Alex", "Sam", "Robin", "Kim", "Jo", "Max", "Noa", "Lee", "Ana", "Eli", "Ivy", "Ola")
WALKING_SPEED_MPS = 1.4
METRES_PER_DEGREE_LAT = 111_195.0


@dataclass
class Walker:
    """One simulated person: where they are and where they are heading."""

    name: str
    latitude: float
    longitude: float
    heading: float  # radians, 0 = north
    interests: list[str] = field(default_factory=list)

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
    ) -> None:
        self.base_url = base_url
        self.users = users
        self.near = near
        self.spread_m = spread_m
        self.interval_s = interval_s
        self.rng = random.Random(seed)
        self.say = say
        self.notifications = 0

    async def run(self, duration_s: float | None = None) -> int:
        """Walk until ``duration_s`` has passed (or for ever); returns the nearby frames seen."""
        tasks = [asyncio.create_task(self._person(i, duration_s)) for i in range(self.users)]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return self.notifications

    async def _person(self, number: int, duration_s: float | None) -> None:
        name = f"sim-{number:03d}"
        walker = self._place(name)
        async with DiscoClient(self.base_url) as client:
            await self._sign_in(client, name)
            await self._set_up(client, walker)
            async with client.socket() as socket:
                self.say(f"{name} walking near {self.near[0]:.4f},{self.near[1]:.4f}")
                listener = asyncio.create_task(self._listen(name, socket))
                try:
                    await self._walk(walker, socket, duration_s)
                finally:
                    listener.cancel()
                    await asyncio.gather(listener, return_exceptions=True)

    def _place(self, name: str) -> Walker:
        north = self.rng.uniform(-self.spread_m, self.spread_m)
        east = self.rng.uniform(-self.spread_m, self.spread_m)
        lat = self.near[0] + north / METRES_PER_DEGREE_LAT
        lon = self.near[1] + east / (METRES_PER_DEGREE_LAT * math.cos(math.radians(lat)))
        interests = self.rng.sample(INTERESTS, 3)
        return Walker(name, lat, lon, self.rng.uniform(0, 2 * math.pi), interests)

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
                await asyncio.sleep(min(60, error.retry_after or 5) + self.rng.random())

    async def _set_up(self, client: DiscoClient, walker: Walker) -> None:
        for _ in range(50):  # the profile appears a moment after sign-up (an event)
            if (await client.request("GET", "/v1/users/me")).status_code == 200:
                break
            await asyncio.sleep(0.1)
        await client.patch(
            "/v1/users/me",
            json={
                "interests": walker.interests,
                "activities": self.rng.sample(ACTIVITIES, 2),
                "mode": "social",
            },
        )
        await client.put(
            "/v1/users/me/preferences",
            json={"discoveryRadiusMeters": self.rng.choice(RADII), "timeWindows": []},
        )
        await client.put("/v1/discovery", json={"enabled": True})

    async def _walk(self, walker: Walker, socket: Socket, duration_s: float | None) -> None:
        loop = asyncio.get_running_loop()
        ends = None if duration_s is None else loop.time() + duration_s
        # Spread the first updates over one interval so the server sees a steady stream.
        await asyncio.sleep(self.rng.random() * self.interval_s)
        while ends is None or loop.time() < ends:
            await socket.send(
                "location_update",
                {"latitude": walker.latitude, "longitude": walker.longitude, "accuracy": 10},
            )
            await asyncio.sleep(self.interval_s)
            walker.step(self.interval_s, self.near, self.spread_m, self.rng)

    async def _listen(self, name: str, socket: Socket) -> None:
        while True:
            frame = await socket.frames.get()
            kind, data = frame.get("type"), frame.get("data") or {}
            if kind == "nearby":
                self.notifications += 1
                shared = ", ".join(data.get("sharedInterests") or []) or "nothing yet"
                self.say(
                    f"{name} <- nearby: {data.get('name', '?')} {data.get('distance', '')}"
                    f" (shared: {shared})"
                )
            elif kind == "error":
                self.say(f"{name} <- error: {data}")
