"""The presence port on Redis: one shared picture for every match process.

Keys (under ``<namespace>:presence:``); every position in them is a *shown* one (displaced and
snapped by the match service), never where anyone really is:

- ``geo:<upper>``: GEO sets of positions, only to find candidates near a point, one per
  radius class of the engine's ladder: a class whose radii reach at most ``upper`` metres is
  searched only that far, so a mile-wide user does not fetch every 30 m user within a mile;
- ``state``: a hash ``user -> "lat,lon,radius,at"`` (the exact position, so distances are
  computed from it rather than from GEO's 52-bit rounding);
- ``fix:<user>``: the user's last accepted fix ``"lat,lon,at,taken_at,slack_m"``, kept
  ``memory_s`` after it whether or not the user is still present (the speed check's memory),
  and ``fixed``, a sorted set ``user -> at`` by which ``expire`` forgets the old ones;
- ``seen``: a sorted set ``user -> last seen``, oldest first for expiry;
- ``gone``: users dropped for silence that ``expire`` has not reported yet;
- ``clock``: the latest time any caller gave (times never run backwards, as in the engine);
- ``apart:<pair>``: when a pair that was in range separated, for the cool-down.

Whether a pair is in range is a pure function of the two stored fixes (symmetric haversine
on the exact coordinates, within both radii), so an encounter starts exactly when a move takes
a pair from out of range (with the mover's previous fix) to in range (with its new one). Each
operation is one Lua script: Redis runs it alone, so two processes moving the two users of a
pair at once cannot both see the encounter start.

Every key carries a real TTL as garbage collection: positions outlive the last move by
``ttl_s`` plus a margin even if every process dies, ``apart`` records the cool-down plus that,
``fix`` records ``memory_s`` plus that.
Time inside the scripts is the callers' ``at`` / ``now``, never Redis's clock.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import cast

from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from disco.match.engine.geo import EARTH_RADIUS_M, WITHIN_TOLERANCE_M, Bucket, shown_bucket
from disco.match.engine.index import DEFAULT_RADIUS_LADDER
from disco.match.presence import UNCHECKED, Fix, FixChanged, Replaces, Sighting, check_fix
from disco.platform.kv.redis import redis_client

__all__ = ["RedisPresence"]

# Keys are dropped by Redis this long after the schedule says nobody needs them any more: a
# process that stalls for a while must not find live state gone.
GC_MARGIN_S = 60.0
# GEOSEARCH measures from positions rounded to ~0.6 m, on a sphere 0.03% larger than ours: it
# searches this much further, and the exact test on the stored fixes decides.
SEARCH_SLACK_M = 2.0
# Lua's unpack() has a small stack: HMGET this many fields at a time.
HMGET_CHUNK = 1000
# What the move script answers instead of partners when the last fix is not the one it replaces
# (user ids never start with "!").
_CHANGED = "!changed"

# Shared by every script. KEYS: seen, state, gone, clock, fixed. ARGV[1..7]: key prefix, ttl_s,
# cooldown_s, ms to keep positions, ms to keep a separation, ms to keep a last fix, memory_s;
# the script's own from ARGV[8].
_LIBRARY = (
    f"""
local EARTH_RADIUS_M = {EARTH_RADIUS_M!r}
local SEARCH_SLACK_M = {SEARCH_SLACK_M!r}
local WITHIN_TOLERANCE_M = {WITHIN_TOLERANCE_M!r}
local HMGET_CHUNK = {HMGET_CHUNK}
local LADDER = {{{", ".join(map(str, DEFAULT_RADIUS_LADDER))}}}
local k = {{seen = KEYS[1], state = KEYS[2], gone = KEYS[3], clock = KEYS[4], fixed = KEYS[5]}}
local PREFIX, TTL, COOLDOWN = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local KEEP_MS, APART_MS, FIX_MS, MEMORY = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
"""
    + """
local function geo_key(radius)
  for _, upper in ipairs(LADDER) do
    if radius <= upper then return PREFIX .. 'geo:' .. upper end
  end
end

local function parse(fix)
  local lat, lon, radius = string.match(fix, '^([^,]+),([^,]+),([^,]+),')
  return tonumber(lat), tonumber(lon), tonumber(radius)
end

-- The same formula as geo.haversine_m, and symmetric bit for bit: a pair gets one answer
-- whichever of the two moved last.
local function distance_m(lat1, lon1, lat2, lon2)
  local phi1, phi2 = math.rad(lat1), math.rad(lat2)
  local dphi = phi2 - phi1
  local dlam = math.rad(lon2 - lon1)
  local h = math.sin(dphi / 2) ^ 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ^ 2
  return 2 * EARTH_RADIUS_M * math.asin(math.min(1, math.sqrt(h)))
end

-- Everyone but user within both radii of (lat, lon, radius): {other = their fix}.
local function in_range(user, lat, lon, radius)
  local found = {}
  for _, upper in ipairs(LADDER) do
    local ids = redis.call('GEOSEARCH', geo_key(upper), 'FROMLONLAT', lon, lat,
      'BYRADIUS', math.min(radius, upper) + SEARCH_SLACK_M, 'm')
    for first = 1, #ids, HMGET_CHUNK do
      local last = math.min(first + HMGET_CHUNK - 1, #ids)
      local fixes = redis.call('HMGET', k.state, unpack(ids, first, last))
      for i = first, last do
        local other, fix = ids[i], fixes[i - first + 1]
        if fix and other ~= user then
          local olat, olon, oradius = parse(fix)
          if distance_m(lat, lon, olat, olon) <= math.min(radius, oradius) + WITHIN_TOLERANCE_M then
            found[other] = fix
          end
        end
      end
    end
  end
  return found
end

local function apart_key(a, b)
  if b < a then a, b = b, a end
  return PREFIX .. 'apart:' .. #a .. ':' .. a .. b  -- the length keeps any two ids apart
end

local function advance(at)
  local now = tonumber(at)
  local latest = tonumber(redis.call('GET', k.clock))
  if latest and latest > now then now = latest end
  redis.call('SET', k.clock, now, 'PX', APART_MS)
  return now
end

-- Gone at time `at`: the encounters it was in end then.
local function drop(user, at)
  redis.call('ZREM', k.seen, user)  -- first: expire_due must never meet the same user again
  local fix = redis.call('HGET', k.state, user)
  if not fix then return end
  local lat, lon, radius = parse(fix)
  for other in pairs(in_range(user, lat, lon, radius)) do
    redis.call('SET', apart_key(user, other), at, 'PX', APART_MS)
  end
  redis.call('HDEL', k.state, user)
  redis.call('ZREM', geo_key(radius), user)
end

-- Oldest first, as the engine does: each silent user leaves when its ttl ran out.
local function expire_due(now)
  while true do
    local oldest = redis.call('ZRANGE', k.seen, 0, 0, 'WITHSCORES')
    if #oldest == 0 then return end
    local left_at = tonumber(oldest[2]) + TTL
    if left_at > now then return end
    drop(oldest[1], left_at)
    redis.call('SADD', k.gone, oldest[1])
  end
end

local function keep()
  for _, key in ipairs({k.seen, k.state, k.gone}) do
    redis.call('PEXPIRE', key, KEEP_MS)
  end
  for _, upper in ipairs(LADDER) do
    redis.call('PEXPIRE', geo_key(upper), KEEP_MS)
  end
end
"""
)

# ARGV[8..12]: user, position, at, last fix, the last fix it replaces ('' for none, '*' for
# whichever). Returns the partners whose encounter just started, or {CHANGED} and nothing
# changed if the last fix is not the one it replaces.
_MOVE = (
    """
local user, fix = ARGV[8], ARGV[9]
if ARGV[12] ~= '*' and (redis.call('GET', PREFIX .. 'fix:' .. user) or '') ~= ARGV[12] then
  return {'"""
    + _CHANGED
    + """'}
end
local now = advance(ARGV[10])
redis.call('SET', PREFIX .. 'fix:' .. user, ARGV[11], 'PX', FIX_MS)
redis.call('ZADD', k.fixed, tonumber(ARGV[10]), user)
redis.call('PEXPIRE', k.fixed, FIX_MS)
expire_due(now)
redis.call('SREM', k.gone, user)
local lat, lon, radius = parse(fix)
local before = {}
local previous = redis.call('HGET', k.state, user)
if previous then
  local plat, plon, pradius = parse(previous)
  before = in_range(user, plat, plon, pradius)
  redis.call('ZREM', geo_key(pradius), user)
end
redis.call('HSET', k.state, user, fix)
redis.call('GEOADD', geo_key(radius), lon, lat, user)
redis.call('ZADD', k.seen, now, user)
keep()
local after = in_range(user, lat, lon, radius)
for other in pairs(before) do
  if not after[other] then
    redis.call('SET', apart_key(user, other), now, 'PX', APART_MS)
  end
end
local met = {}
for other in pairs(after) do
  if not before[other] then
    local key = apart_key(user, other)
    local apart_since = tonumber(redis.call('GET', key))
    if apart_since then redis.call('DEL', key) end
    -- Back together within the cool-down: the encounter resumes, silently.
    if not apart_since or now - apart_since >= COOLDOWN then
      table.insert(met, other)
    end
  end
end
return met
"""
)

# ARGV[8..10]: user, at, "forget" to drop the last fix too.
_REMOVE = """
local user = ARGV[8]
local now = advance(ARGV[9])
expire_due(now)
redis.call('SREM', k.gone, user)
drop(user, now)
if ARGV[10] == 'forget' then
  redis.call('DEL', PREFIX .. 'fix:' .. user)
  redis.call('ZREM', k.fixed, user)
end
"""

# ARGV[8]: now. Returns the users dropped for silence since the last call, each to one caller;
# forgets last fixes older than memory_s.
_EXPIRE = """
local now = advance(ARGV[8])
expire_due(now)
local old = redis.call('ZRANGEBYSCORE', k.fixed, '-inf', now - MEMORY)
for _, user in ipairs(old) do
  redis.call('DEL', PREFIX .. 'fix:' .. user)
end
redis.call('ZREMRANGEBYSCORE', k.fixed, '-inf', now - MEMORY)
local gone = redis.call('SMEMBERS', k.gone)
redis.call('DEL', k.gone)
return gone
"""

# ARGV[8]: user. Returns {the user's position, other, other's position, ...}, or {} if absent.
_NEARBY = """
local user = ARGV[8]
local fix = redis.call('HGET', k.state, user)
if not fix then return {} end
local out = {fix}
for other, other_fix in pairs(in_range(user, parse(fix))) do
  table.insert(out, other)
  table.insert(out, other_fix)
end
return out
"""


def _pack(*values: float) -> str:
    # repr() round-trips a float exactly, and Lua's tonumber() reads it back exactly.
    return ",".join(repr(float(v)) for v in values)


def _packed(fix: Fix) -> str:
    """A last fix as its key holds it: what a move writes and what it is compared with."""
    return _pack(fix.latitude, fix.longitude, fix.at, fix.taken_at, fix.slack_m)


def _floats(packed: str) -> list[float]:
    return [float(v) for v in packed.split(",")]


def _latlon(packed: str) -> tuple[float, float]:
    lat, lon, *_ = _floats(packed)
    return lat, lon


class RedisPresence:
    def __init__(
        self,
        redis_url: str,
        namespace: str,
        *,
        ttl_s: float,
        cooldown_s: float,
        memory_s: float,
    ) -> None:
        if ttl_s <= 0 or cooldown_s < 0 or memory_s <= 0:
            raise ValueError("ttl_s and memory_s must be positive, cooldown_s not negative")
        self.redis: Redis = redis_client(redis_url)
        prefix = f"{namespace}:presence:"
        self._keys = [prefix + name for name in ("seen", "state", "gone", "clock", "fixed")]
        self._state = prefix + "state"
        self._fix = prefix + "fix:"
        self._settings: list[str | int] = [
            prefix,
            repr(float(ttl_s)),
            repr(float(cooldown_s)),
            math.ceil((ttl_s + GC_MARGIN_S) * 1000),
            math.ceil((cooldown_s + ttl_s + GC_MARGIN_S) * 1000),
            math.ceil((memory_s + GC_MARGIN_S) * 1000),
            repr(float(memory_s)),
        ]
        self._memory_s = memory_s
        # The last fix this process stored or read for each user (packed as stored), oldest
        # first: ``last_fix(recalled=True)`` answers from it, saving a round trip an update.
        self._recalled: OrderedDict[str, str] = OrderedDict()
        self._move = self._script(_MOVE)
        self._remove = self._script(_REMOVE)
        self._expire = self._script(_EXPIRE)
        self._nearby = self._script(_NEARBY)

    def _script(self, body: str) -> AsyncScript:
        return self.redis.register_script(_LIBRARY + body)

    async def _run(self, script: AsyncScript, *args: str) -> list[str]:
        result = await script(keys=self._keys, args=[*self._settings, *args])
        return cast(list[str], result or [])

    async def move(
        self,
        user_id: str,
        latitude: float,
        longitude: float,
        radius_m: float,
        at: float,
        *,
        taken_at: float | None = None,
        slack_m: float = 0.0,
        replaces: Replaces = UNCHECKED,
    ) -> list[str]:
        longitude = check_fix(latitude, longitude, radius_m)
        position = _pack(latitude, longitude, radius_m, at)
        taken = at if taken_at is None else taken_at
        fix = _packed(Fix(latitude, longitude, at, taken, slack_m))
        expected = "*" if replaces is UNCHECKED else "" if replaces is None else _packed(replaces)
        self._recalled.pop(user_id, None)  # unknown until the move answers
        met = await self._run(self._move, user_id, position, repr(float(at)), fix, expected)
        if met == [_CHANGED]:
            raise FixChanged(user_id)
        self._recalled[user_id] = fix
        return met

    async def remove(self, user_id: str, at: float) -> None:
        await self._run(self._remove, user_id, repr(float(at)), "keep")

    async def forget(self, user_id: str, at: float) -> None:
        self._recalled.pop(user_id, None)
        await self._run(self._remove, user_id, repr(float(at)), "forget")

    async def present(self, user_id: str) -> bool:
        return bool(await self.redis.hexists(self._state, user_id))

    async def everyone(self) -> list[str]:
        # HSCAN's NOVALUES needs Redis 7.4; the values are a few dozen bytes each.
        return [user_id async for user_id, _ in self.redis.hscan_iter(self._state, count=1000)]

    async def last_fix(self, user_id: str, *, recalled: bool = False) -> Fix | None:
        fix = self._recalled.get(user_id) if recalled else None
        if fix is None:
            fix = cast(str | None, await self.redis.get(self._fix + user_id))
            self._recalled.pop(user_id, None)
            if fix is not None:
                self._recalled[user_id] = fix
        return None if fix is None else Fix(*_floats(fix))

    async def nearby(self, user_id: str) -> list[Sighting]:
        found = await self._run(self._nearby, user_id)
        if not found:
            return []
        here = _latlon(found[0])
        return [
            Sighting(other, shown_bucket(here, _latlon(position)))
            for other, position in zip(found[1::2], found[2::2], strict=True)
        ]

    async def bucket(self, viewer_id: str, other_id: str) -> Bucket | None:
        viewer, other = cast(
            list[str | None], await self.redis.hmget(self._state, [viewer_id, other_id])
        )
        if viewer is None or other is None:
            return None
        return shown_bucket(_latlon(viewer), _latlon(other))

    async def expire(self, now: float) -> list[str]:
        # Recalled fixes go when presence forgets them: in order of storing, so oldest first.
        while self._recalled:
            user_id, oldest = next(iter(self._recalled.items()))
            if Fix(*_floats(oldest)).at + self._memory_s > now:
                break
            del self._recalled[user_id]
        return await self._run(self._expire, repr(float(now)))

    async def ping(self) -> None:
        await self.redis.ping()

    async def close(self) -> None:
        self._recalled.clear()
        await self.redis.aclose()
