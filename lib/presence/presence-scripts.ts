import { defineScripts } from '../redis/define-scripts.js';

/**
 * An instance's report (ARGV: its id, its total, how long it counts without another): it is live until then by Redis's
 * clock (no skew between instances); those past theirs are dropped. Answers the live instances' totals, `[id, total, …]`.
 */
const REPORT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #gone > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
  redis.call('HDEL', KEYS[2], unpack(gone))
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
return redis.call('HGETALL', KEYS[2])`;

/** An instance leaves (ARGV[1], its id): the others stop counting it at once. */
const LEAVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])`;

/**
 * An instance's count of receives on one endpoint (ARGV: id, count, TTL): set and the hash's TTL refreshed, or, at 0,
 * removed (HDEL only frees memory, so it runs when Redis is out of memory too).
 */
const COUNT = `
if ARGV[2] == '0' then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('PEXPIRE', KEYS[1], ARGV[3])`;

/** The presence scripts: KEYS are the instances' sorted set and totals' hash, or an endpoint's counts' hash. */
export interface PresenceScripts {
  presenceReport(instances: string, totals: string, id: string, total: number, ttl: number): Promise<string[]>;
  presenceLeave(instances: string, totals: string, id: string): Promise<null>;
  presenceCount(counts: string, id: string, count: number, ttl: number): Promise<number>;
}

/** The presence scripts on `client`, defined on it the first time. */
export const presenceScripts = defineScripts<PresenceScripts>({
  presenceReport: { numberOfKeys: 2, lua: REPORT },
  presenceLeave: { numberOfKeys: 2, lua: LEAVE },
  presenceCount: { numberOfKeys: 1, lua: COUNT },
});
