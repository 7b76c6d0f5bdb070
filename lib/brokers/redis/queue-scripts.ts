import { defineScripts } from '../../redis/define-scripts.js';
import type { SweepTest } from '../../redis/key-sweep.js';
import { LUA_NOW } from '../../redis/lua-now.js';
import { HOLDS_DUE, PROMOTE_DUE } from './delayed-scripts.js';
import { EXPIRIES } from './expiry-scripts.js';

/** What the publish script answers for a message refused by a full queue, and for a repeated deduplication id. */
export const FULL = -1;
export const REPEATED = -2;

/**
 * Stores a message (ARGV[1]) unless the queue is full ('reject': answers -1) or makes room from its head
 * ('drop-oldest'), counting its delayed messages too (KEYS[3]: due times, KEYS[4]: messages); a delayed message that
 * fills a queue with nothing due is refused either way. Without a delay (ARGV[8]) it goes to the queue's tail, behind
 * the delayed messages already due, its TTL refreshed (ARGV[4]), and wakes the instances that wait on it (ARGV[5], its
 * shard channel); with one, it waits beside the queue until due, by Redis time. With a `ttl` (ARGV[9]) its expiry is
 * recorded beside the queue (KEYS[5], see expiriesKey) once it is queued. It asks nothing first: the push answers the
 * length, and a refused message never left the script. With a deduplication id (ARGV[6]), nothing is stored (-2) if
 * the key's set of recent ids (KEYS[2], by when each is forgotten) holds it; a stored message's id is kept there
 * ARGV[7] ms.
 */
const PUBLISH = `
local id, delay, ttl, lifetime = ARGV[6], tonumber(ARGV[8]), tonumber(ARGV[4]), tonumber(ARGV[9])
local delayed = redis.call('ZCARD', KEYS[3])
local now
if id ~= '' or delay > 0 or delayed > 0 or lifetime > 0 then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
${PROMOTE_DUE}
local function dropOldest(count)
  if redis.call('EXISTS', KEYS[5]) == 0 then return redis.call('LTRIM', KEYS[1], count, -1) end
  for _, message in ipairs(redis.call('LPOP', KEYS[1], count) or {}) do takeExpiry(KEYS[5], message) end
end
if id ~= '' then
  local forget = redis.call('ZSCORE', KEYS[2], id)
  if forget and tonumber(forget) > now then return ${REPEATED} end
end
local max = tonumber(ARGV[2])
local length
if delay > 0 then
  local queued = redis.call('LLEN', KEYS[1])
  length = queued + delayed + 1
  if length > max and (ARGV[3] == 'reject' or queued == 0) then return ${FULL} end
  if length > max then dropOldest(1) end
  local member = string.format('%016d', redis.call('HINCRBY', KEYS[4], '#seq', 1))
  redis.call('ZADD', KEYS[3], now + delay, member)
  redis.call('HSET', KEYS[4], member, ARGV[1])
  if lifetime > 0 then redis.call('HSET', KEYS[4], member .. ':ttl', lifetime) end
  for _, key in ipairs({ KEYS[3], KEYS[4] }) do
    if redis.call('PTTL', key) < delay + ttl then redis.call('PEXPIRE', key, delay + ttl) end
  end
else
  if delayed > 0 then
    delayed = delayed - promoteDue(KEYS[1], KEYS[3], KEYS[4], KEYS[5], now, ttl)
  end
  local queued = redis.call('RPUSH', KEYS[1], ARGV[1])
  length = queued + delayed
  if length > max then
    if ARGV[3] == 'reject' or length - max >= queued then
      redis.call('RPOP', KEYS[1])
      return ${FULL}
    end
    dropOldest(length - max)
  end
  if lifetime > 0 then queuedExpiring(KEYS[5], ARGV[1], now + lifetime) end
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[5], ttl)
  redis.call('SPUBLISH', ARGV[5], '')
end
if id ~= '' then
  local window = tonumber(ARGV[7])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZADD', KEYS[2], now + window, id)
  redis.call('PEXPIRE', KEYS[2], window)
end
return length`;

/**
 * Moves the delayed messages that came due (KEYS[2], KEYS[3]) to the queue (KEYS[1], its TTL ARGV[2]), then pops up to
 * ARGV[1] messages, dropping those whose expiry (KEYS[4]) passed, and answers `{ messages, their expiries, left,
 * expired }`, so that a queue emptied needs no second look when the next poll comes, and a message given back keeps its
 * expiry; a queue with neither delayed messages nor expiries costs it one EXISTS over an LPOP. It only moves and frees
 * data, so it runs when Redis is out of memory too.
 */
const POP = `#!lua flags=allow-oom
if redis.call('EXISTS', KEYS[2], KEYS[4]) == 0 then
  local popped = redis.call('LPOP', KEYS[1], ARGV[1])
  return { popped or {}, {}, redis.call('LLEN', KEYS[1]), 0 }
end
${LUA_NOW}
${PROMOTE_DUE}
promoteDue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], now, ARGV[2])
local live, expiresAt, expired = popLive(KEYS[1], KEYS[4], tonumber(ARGV[1]), now)
return { live, expiresAt, redis.call('LLEN', KEYS[1]), expired }`;

/** Messages waiting to be received: the queue (KEYS[1]) and its delayed messages (KEYS[2]) that came due. */
const DUE_LENGTH = `
${LUA_NOW}
return redis.call('LLEN', KEYS[1]) + redis.call('ZCOUNT', KEYS[2], '-inf', now)`;

/**
 * Puts messages back at the head, in order, whatever the bound (nothing taken is ever dropped), with their expiries
 * (KEYS[2]; from ARGV[3] on, message and expiry, 0 for none), refreshes the TTL, and wakes the waiting instances
 * (ARGV[2]). It runs even when Redis is out of memory (`allow-oom`): it only gives back what a pop took.
 */
const REQUEUE = `#!lua flags=allow-oom
${EXPIRIES}
for i = #ARGV - 1, 3, -2 do
  redis.call('LPUSH', KEYS[1], ARGV[i])
  restoreExpiry(KEYS[2], ARGV[i], tonumber(ARGV[i + 1]))
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
redis.call('SPUBLISH', ARGV[2], '')`;

/** The sweep's test (see KeySweep): a queue with messages, or delayed messages that came due. */
export const QUEUED: SweepTest = { name: 'sweepQueues', prelude: LUA_NOW, holds: `redis.pcall('LLEN', key) ~= 0 or ${HOLDS_DUE}` };

/** The queue operations that must be atomic in Redis, as Lua scripts. */
export interface QueueScripts {
  publishBounded(
    key: string,
    deduplication: string,
    due: string,
    delayedMessages: string,
    expiries: string,
    message: Buffer,
    maxLength: number,
    overflow: string,
    ttl: number,
    wake: string,
    deduplicationId: string,
    deduplicationWindow: number,
    delay: number,
    lifetime: number,
  ): Promise<number>;
  popBuffer(
    key: string,
    due: string,
    delayedMessages: string,
    expiries: string,
    count: number,
    ttl: number,
  ): Promise<[messages: Buffer[], expiresAt: number[], left: number, expired: number]>;
  dueLength(key: string, due: string): Promise<number>;
  requeue(key: string, expiries: string, ttl: number, wake: string, ...messagesAndExpiries: (Buffer | number)[]): Promise<null>;
}

/** The queue scripts on `client`, defined on it the first time. */
export const queueScripts = defineScripts<QueueScripts>({
  publishBounded: { numberOfKeys: 5, lua: PUBLISH },
  pop: { numberOfKeys: 4, lua: POP },
  dueLength: { numberOfKeys: 2, lua: DUE_LENGTH },
  requeue: { numberOfKeys: 2, lua: REQUEUE },
});

