import { defineScripts } from '../../redis/define-scripts.js';
import type { SweepTest } from '../../redis/key-sweep.js';

/** What the publish script answers for a message refused by a full queue, and for a repeated deduplication id. */
export const FULL = -1;
export const REPEATED = -2;

/**
 * Appends a message unless the queue is full ('reject': takes it back, answers -1) or makes room ('drop-oldest');
 * refreshes the TTL; and wakes the instances that wait on the queue (ARGV[5], its shard channel, in its slot). It
 * asks nothing first: the push answers the length, and a refused message never left the script. With a deduplication
 * id (ARGV[6]), nothing is stored (-2) if the key's set of recent ids (KEYS[2], by when each is forgotten, Redis time)
 * holds it; a stored message's id is kept there ARGV[7] ms, and the ids past theirs go as it is written.
 */
const PUBLISH = `
local id = ARGV[6]
local now
if id ~= '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
  local forget = redis.call('ZSCORE', KEYS[2], id)
  if forget and tonumber(forget) > now then return ${REPEATED} end
end
local length = redis.call('RPUSH', KEYS[1], ARGV[1])
local max = tonumber(ARGV[2])
if length > max then
  if ARGV[3] == 'reject' then
    redis.call('RPOP', KEYS[1])
    return ${FULL}
  end
  redis.call('LTRIM', KEYS[1], length - max, -1)
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('SPUBLISH', ARGV[5], '')
if id ~= '' then
  local window = tonumber(ARGV[7])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  redis.call('ZADD', KEYS[2], now + window, id)
  redis.call('PEXPIRE', KEYS[2], window)
end
return length`;

/**
 * Pops up to ARGV[1] messages, and answers how many are left: `{ messages, left }`, so that a queue emptied needs no
 * second look when the next poll comes. It only frees memory, so it runs when Redis is out of memory too.
 */
const POP = `#!lua flags=allow-oom
local popped = redis.call('LPOP', KEYS[1], ARGV[1])
return { popped or {}, redis.call('LLEN', KEYS[1]) }`;

/**
 * Puts messages back at the head, in order, whatever the bound (nothing taken is ever dropped), refreshes the TTL, and
 * wakes the waiting instances (ARGV[2]). It runs even when Redis is out of memory (`allow-oom`): it only gives back what
 * a pop took.
 */
const REQUEUE = `#!lua flags=allow-oom
for i = #ARGV, 3, -1 do redis.call('LPUSH', KEYS[1], ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('SPUBLISH', ARGV[2], '')`;

/** The sweep's test (see KeySweep): a queue with messages. */
export const QUEUED: SweepTest = { name: 'sweepQueues', prelude: '', holds: "redis.pcall('LLEN', key) ~= 0" };

/** The queue operations that must be atomic in Redis, as Lua scripts. */
export interface QueueScripts {
  publishBounded(
    key: string,
    deduplication: string,
    message: Buffer,
    maxLength: number,
    overflow: string,
    ttl: number,
    wake: string,
    deduplicationId: string,
    deduplicationWindow: number,
  ): Promise<number>;
  popBuffer(key: string, count: number): Promise<[messages: Buffer[], left: number]>;
  requeue(key: string, ttl: number, wake: string, ...messages: Buffer[]): Promise<null>;
}

/** The queue scripts on `client`, defined on it the first time. */
export const queueScripts = defineScripts<QueueScripts>({
  publishBounded: { numberOfKeys: 2, lua: PUBLISH },
  pop: { numberOfKeys: 1, lua: POP },
  requeue: { numberOfKeys: 1, lua: REQUEUE },
});

