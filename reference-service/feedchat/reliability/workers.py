"""Consumer-group workers: idempotent handlers, retries with backoff and a retry budget, dead letters, reclaim.

A handler turns an event into Redis commands (its *effects*). One Lua script, :data:`COMMIT`, then applies them
together with the dedupe key for the event ID and the acknowledgement. Redis runs a script without interleaving
other clients' commands but does not roll it back when a command fails half-way, so the script is written to
have nothing that can fail after its first write:

1. If the dedupe key exists the event was applied before: forget the attempts, ``XACK``, return ``DUPLICATE``.
2. Otherwise check every effect before writing anything. An effect must use a command of the allow-list
   (:data:`EFFECT_COMMANDS`); its arguments must parse as Redis would parse them (scores and versions as finite
   decimal floats, indexes and ``EXPIRE`` seconds as integers, complete field/value pairs); its key must hold the
   command's type or nothing — taking the effects before it in the same commit into account — and must not be
   one of the commit's own keys. The stream key must be a stream. A refusal is an ``EFFECT …`` error reply,
   e.g. ``EFFECT WRONGTYPE RPUSH feedchat:notifications:bob holds a string, not a list``.
3. Run the effects, then ``SET`` the dedupe key, delete the attempt history and ``XACK`` — in that order, so the
   dedupe key never exists without the effects.

So a refused commit leaves no trace: no effect, no dedupe key, the entry still pending. The worker records the
error as a failed attempt (a ``ResponseError`` is the message's fault, see ``retry.is_retryable``) and dead-letters
the entry after ``max_attempts``; once the data is fixed, a redrive applies the whole effect once.

What remains: ``OOM`` under ``maxmemory`` cannot split a commit either — for a script without flags Redis refuses
a memory-growing command with ``OOM`` only while the script has not written yet, so the first effect fails with
nothing written, or the whole script runs (and may overshoot ``maxmemory``). Anything else that stops a script
after its first write — a bug in the script itself, or the server being killed with ``SHUTDOWN NOSAVE`` while a
script is stuck — is outside this check. Effects may name keys that are not declared in ``KEYS``: fine on one
Redis server, not on Redis Cluster.

``SETIFNEWER key version field value …`` is a pseudo-command for per-key ordering: it writes the fields and
``version`` with ``HSET`` only when ``version`` is greater than the stored one, so an older event delivered
late does not overwrite newer state.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import redis

from feedchat.reliability.retry import RetryBudget, RetryPolicy, is_retryable, wait
from feedchat.reliability.streams import DEAD_LETTERS, GROUP, STREAM, ensure_group

log = logging.getLogger("feedchat.reliability")

Command = Sequence[str | int | float]
"""One Redis command of an effect, e.g. ``("ZADD", "feed:bob", 17.5, "post-1")``; see :data:`EFFECT_COMMANDS`."""


@dataclass(frozen=True)
class Event:
    """A decoded stream entry."""

    message_id: str
    event_id: str
    type: str
    payload: dict[str, Any]
    fields: dict[str, str]


Handler = Callable[[redis.Redis, Event], list[Command]]
"""Computes an event's effects (it may read Redis, it must not write)."""

COMMIT = """
local unpack = unpack or table.unpack
local DUPLICATE, APPLIED, APPLIED_STALE = 0, 1, 2

if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('DEL', KEYS[3])
  redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
  return DUPLICATE
end

local function fail(message) return redis.error_reply('EFFECT ' .. message) end

local function integer(s)
  return #s <= 16 and (s == '0' or string.match(s, '^-?[1-9]%d*$') ~= nil)
end

-- A float Redis parses the same way (strtod, no NaN, no overflow): decimal notation or +-inf.
local function float(s, allow_inf)
  local lower = string.lower(s)
  if lower == 'inf' or lower == '+inf' or lower == '-inf' then return allow_inf end
  local mantissa = string.match(s, '^[+-]?(%d*%.?%d*)$') or string.match(s, '^[+-]?(%d*%.?%d*)[eE][+-]?%d+$')
  if not mantissa or not string.find(mantissa, '%d') then return false end
  local n = tonumber(s)
  if not n or n ~= n or n == math.huge or n == -math.huge then return false end
  return n ~= 0 or not string.find(mantissa, '[1-9]')
end

-- The allow-list: key type, whether the command creates the key, and an argument check
-- (argv includes the command name and the key, so argv[3] is the first argument).
local function at_least(n) return function(argv) return #argv >= n end end
local function range(argv) return #argv == 4 and integer(argv[3]) and integer(argv[4]) end
local SPECS = {
  ZADD = {'zset', true, function(argv)
    if #argv < 4 or #argv % 2 == 1 then return false end
    for j = 3, #argv, 2 do if not float(argv[j], true) then return false end end
    return true
  end},
  ZREM = {'zset', false, at_least(3)},
  ZREMRANGEBYRANK = {'zset', false, range},
  LPUSH = {'list', true, at_least(3)},
  RPUSH = {'list', true, at_least(3)},
  LTRIM = {'list', false, range},
  SADD = {'set', true, at_least(3)},
  SREM = {'set', false, at_least(3)},
  HSET = {'hash', true, function(argv) return #argv >= 4 and #argv % 2 == 0 end},
  SET = {'string', true, function(argv) return #argv == 3 end},
  EXPIRE = {nil, false, function(argv)
    return #argv == 3 and integer(argv[3]) and tonumber(argv[3]) > 0 and tonumber(argv[3]) <= 3153600000
  end},
  SETIFNEWER = {'hash', true, function(argv)
    if #argv < 5 or #argv % 2 == 0 or not float(argv[3], false) then return false end
    for j = 4, #argv, 2 do if argv[j] == 'version' then return false end end
    return true
  end},
}

if not integer(ARGV[1]) or tonumber(ARGV[1]) <= 0 then return fail('bad dedupe TTL ' .. ARGV[1]) end
local stream_type = redis.call('TYPE', KEYS[2]).ok
if stream_type ~= 'stream' and stream_type ~= 'none' then return fail(KEYS[2] .. ' is a ' .. stream_type) end

local effects, planned = {}, {}
local own = {[KEYS[1]] = true, [KEYS[2]] = true, [KEYS[3]] = true}
local i = 4
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  if not n or n < 2 or i + n > #ARGV then return fail('malformed effect list at argument ' .. i) end
  local argv = {}
  for j = 1, n do argv[j] = ARGV[i + j] end
  argv[1] = string.upper(argv[1])
  local name, key = argv[1], argv[2]
  local spec = SPECS[name]
  if not spec then return fail('unknown command ' .. name .. ' (effect ' .. (#effects + 1) .. ')') end
  if own[key] then return fail(name .. ' on a key of the commit itself: ' .. key) end
  if not spec[3](argv) then return fail('bad arguments for ' .. name .. ' ' .. key) end
  local current = planned[key] or redis.call('TYPE', key).ok
  if spec[1] and current ~= 'none' and current ~= spec[1] then
    local holds = planned[key] and ' would hold a ' or ' holds a '
    return fail('WRONGTYPE ' .. name .. ' ' .. key .. holds .. current .. ', not a ' .. spec[1])
  end
  if name == 'SETIFNEWER' and current == 'hash' and not planned[key] then
    local stored = redis.call('HGET', key, 'version')
    if stored and not float(stored, false) then return fail('SETIFNEWER ' .. key .. ' has version ' .. stored) end
  end
  if spec[2] then planned[key] = spec[1] else planned[key] = current end
  effects[#effects + 1] = argv
  i = i + n + 1
end

local status = APPLIED
for _, argv in ipairs(effects) do
  if argv[1] == 'SETIFNEWER' then
    local stored = redis.call('HGET', argv[2], 'version')
    local version = stored and tonumber(stored)
    if not version or tonumber(argv[3]) > version then
      redis.call('HSET', argv[2], 'version', unpack(argv, 3))
    else
      status = APPLIED_STALE
    end
  else
    redis.call(unpack(argv))
  end
end
redis.call('SET', KEYS[1], ARGV[3], 'NX', 'EX', ARGV[1])
redis.call('DEL', KEYS[3])
redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
return status
"""
"""KEYS: dedupe key, stream, attempts key. ARGV: ttl, group, message ID, then each effect as (argc, command, key,
args…). Returns :data:`DUPLICATE`, :data:`APPLIED` or :data:`APPLIED_STALE`; an ``EFFECT …`` error reply when an
effect is refused, before anything was written."""

DUPLICATE = 0
"""The event's dedupe key existed: nothing applied, the entry acknowledged."""
APPLIED = 1
"""Every effect applied, the dedupe key set, the entry acknowledged."""
APPLIED_STALE = 2
"""Applied, but at least one ``SETIFNEWER`` found newer state stored and wrote nothing."""

EFFECT_COMMANDS: dict[str, str | None] = {
    "ZADD": "zset",
    "ZREM": "zset",
    "ZREMRANGEBYRANK": "zset",
    "LPUSH": "list",
    "RPUSH": "list",
    "LTRIM": "list",
    "SADD": "set",
    "SREM": "set",
    "HSET": "hash",
    "SETIFNEWER": "hash",
    "SET": "string",
    "EXPIRE": None,
}
"""The script's allow-list: each command an effect may use and the type its key must hold if it exists (``None``:
any). Anything else is refused before any write."""


def decode(message_id: str, fields: dict[str, str]) -> Event:
    """The event in a stream entry; ``ValueError`` when the entry is malformed (a poison message)."""
    try:
        payload = json.loads(fields["payload"])
        if not isinstance(payload, dict):
            raise ValueError("payload is not a JSON object")
        return Event(message_id, fields["event_id"], fields["type"], payload, dict(fields))
    except (KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"malformed stream entry: {exc!r}") from exc


class Worker:
    """One consumer of ``group`` on ``stream``; ``run(stop)`` until stopped.

    Counters: ``applied``, ``duplicates``, ``dead`` (dead-lettered), ``stale`` (applied, but a ``SETIFNEWER``
    found newer state) and ``budget_exhausted`` (failed entries left pending because the retry budget was empty).
    """

    def __init__(
        self,
        client: redis.Redis,
        handler: Handler,
        *,
        name: str,
        stream: str = STREAM,
        group: str = GROUP,
        dead_letters: str = DEAD_LETTERS,
        policy: RetryPolicy | None = None,
        budget: RetryBudget | None = None,
        reclaim_idle_ms: int = 30_000,
        dedupe_ttl_seconds: int = 7 * 24 * 3600,
        batch: int = 32,
        block_ms: int = 1000,
    ) -> None:
        self.client = client
        self.handler = handler
        self.name = name
        self.stream = stream
        self.group = group
        self.dead_letters = dead_letters
        self.policy = policy or RetryPolicy()
        self.budget = budget or RetryBudget()
        self.reclaim_idle_ms = reclaim_idle_ms
        self.dedupe_ttl_seconds = dedupe_ttl_seconds
        self.batch = batch
        self.block_ms = block_ms
        self._commit = client.register_script(COMMIT)
        self._claim_cursor = "0-0"
        self.applied = 0
        self.duplicates = 0
        self.dead = 0
        self.stale = 0
        self.budget_exhausted = 0

    def dedupe_key(self, event_id: str) -> str:
        """Where the group remembers that ``event_id`` took effect (expires after the dedupe TTL)."""
        return f"{self.stream}:{self.group}:done:{event_id}"

    def attempts_key(self, message_id: str) -> str:
        """The failed attempts of one stream entry, as JSON records (shared by all consumers)."""
        return f"{self.stream}:{self.group}:attempts:{message_id}"

    # -- loop -----------------------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Reclaim stale pending entries, read new ones, process them; stop reading once ``stop`` is set."""
        failures = 0
        while not stop.is_set():
            try:
                ensure_group(self.client, self.stream, self.group)
                entries = self.reclaim() or self.read()
                for message_id, fields in entries:
                    if stop.is_set():
                        break  # the rest stays pending and is reclaimed by a live consumer
                    self.process(message_id, fields, stop)
                failures = 0
            except Exception as exc:
                if not is_retryable(exc):
                    raise
                failures += 1
                log.warning("worker %s: %s; retrying (failure %d)", self.name, exc, failures)
                wait(self.policy.delay(failures), stop)

    def reclaim(self) -> list[tuple[str, dict[str, str]]]:
        """Claim entries another consumer left pending longer than ``reclaim_idle_ms`` (``XAUTOCLAIM``)."""
        cursor, claimed, *_ = self.client.xautoclaim(
            self.stream, self.group, self.name, self.reclaim_idle_ms, self._claim_cursor, count=self.batch
        )
        self._claim_cursor = cursor
        return [(message_id, fields) for message_id, fields in claimed if fields]

    def read(self) -> list[tuple[str, dict[str, str]]]:
        """New entries for this consumer, waiting at most ``block_ms``."""
        reply = self.client.xreadgroup(self.group, self.name, {self.stream: ">"}, count=self.batch, block=self.block_ms)
        return [entry for _stream, entries in reply or [] for entry in entries]

    # -- one message ----------------------------------------------------------------------------------------

    def process(self, message_id: str, fields: dict[str, str], stop: threading.Event | None = None) -> str:
        """Apply one entry; return ``"applied"``, ``"duplicate"``, ``"dead"``, ``"left"`` or ``"deferred"``.

        ``"left"``: pending, because ``stop`` was set during a backoff. ``"deferred"``: failed with the retry budget
        empty, pending until a consumer reclaims it. A failure that is the message's fault is retried here, after
        the policy's backoff, only if the retry budget grants a token; otherwise the entry waits ``reclaim_idle_ms``
        for ``XAUTOCLAIM``. Attempts are counted in Redis either way, so the entry is dead-lettered after
        ``max_attempts`` in both paths.
        """
        attempts = self.client.llen(self.attempts_key(message_id))
        while True:
            if attempts >= self.policy.max_attempts:
                self.dead_letter(message_id, fields)
                return "dead"
            try:
                event = decode(message_id, fields)
                effects = self.handler(self.client, event)
                fresh = self.commit(event, effects)
            except Exception as exc:
                if is_retryable(exc):
                    raise  # infrastructure trouble: the entry stays pending; not the message's fault
                attempts = self.record_failure(message_id, exc)
                log.warning("worker %s: %s failed (attempt %d): %s", self.name, message_id, attempts, exc)
                if attempts >= self.policy.max_attempts:
                    continue
                if not self.budget.try_spend():
                    self.budget_exhausted += 1
                    log.warning(
                        "worker %s: retry budget exhausted (%d times); %s stays pending until reclaimed",
                        self.name,
                        self.budget_exhausted,
                        message_id,
                    )
                    return "deferred"
                if not wait(self.policy.delay(attempts), stop):
                    return "left"
                continue
            self.budget.success()
            if fresh:
                self.applied += 1
                return "applied"
            self.duplicates += 1
            return "duplicate"

    def commit(self, event: Event, effects: list[Command]) -> bool:
        """Effects, dedupe key, attempt cleanup and ``XACK`` in one script; False when already applied.

        Raises ``redis.ResponseError`` (``EFFECT …``) with nothing written when an effect is refused.
        """
        args: list[str | int | float] = [self.dedupe_ttl_seconds, self.group, event.message_id]
        for command in effects:
            args.append(len(command))
            args.extend(command)
        keys = [self.dedupe_key(event.event_id), self.stream, self.attempts_key(event.message_id)]
        status = int(self._commit(keys=keys, args=args))
        if status == APPLIED_STALE:
            self.stale += 1
        return status != DUPLICATE

    def record_failure(self, message_id: str, exc: BaseException) -> int:
        """Append the failure to the entry's attempt history; return the number of failed attempts."""
        record = json.dumps({"at": time.time(), "consumer": self.name, "error": f"{type(exc).__name__}: {exc}"})
        key = self.attempts_key(message_id)
        pipe = self.client.pipeline(transaction=True)
        pipe.rpush(key, record)
        pipe.expire(key, self.dedupe_ttl_seconds)
        count, _ = pipe.execute()
        return int(count)

    def dead_letter(self, message_id: str, fields: dict[str, str]) -> None:
        """Move the entry to the dead-letter stream with its attempt history, and ``XACK`` it, atomically."""
        key = self.attempts_key(message_id)
        history = [json.loads(item) for item in self.client.lrange(key, 0, -1)]
        last_error = history[-1]["error"] if history else ""
        entry = {
            **fields,
            "source_stream": self.stream,
            "source_id": message_id,
            "group": self.group,
            "attempts": json.dumps(history),
            "error": last_error,
            "dead_at": str(time.time()),
        }
        pipe = self.client.pipeline(transaction=True)
        pipe.xadd(self.dead_letters, entry)
        pipe.xack(self.stream, self.group, message_id)
        pipe.delete(key)
        pipe.execute()
        self.dead += 1
        log.error("worker %s: %s dead-lettered after %d attempts: %s", self.name, message_id, len(history), last_error)
