import { companionKey } from '../../redis/key-layout.js';
import { defineScripts } from '../../redis/define-scripts.js';
import { LUA_NOW } from '../../redis/lua-now.js';
import { EXPIRIES } from './expiry-scripts.js';

/**
 * The keys beside a queue that hold its delayed messages until they are due, in its hash slot: the due times (a sorted
 * set of ids, by Redis time) and the messages by id. The queue itself holds only what is due.
 */
export function delayedKeys(key: string): { due: string; messages: string } {
  return { due: companionKey(key, 'delayed'), messages: companionKey(key, 'delayed-messages') };
}

/**
 * Lua: `promoteDue(queue, due, messages, expiries, now, ttl)` moves the delayed messages due by `now` to the queue's
 * tail, in the order they became due (ids are zero-padded, so ties keep the order of publishing), records when those
 * published with a `ttl` (at `<id>:ttl`) expire, counted from when they came due, refreshes the queue's TTL, and
 * answers how many it moved. It moves rather than adds data: scripts that run when Redis is out of memory may call it.
 */
export const PROMOTE_DUE = `
${EXPIRIES}
local function promoteDue(queue, due, messages, expiries, now, ttl)
  local ids = redis.call('ZRANGE', due, '-inf', now, 'BYSCORE', 'LIMIT', 0, 1000, 'WITHSCORES')
  if #ids == 0 then return 0 end
  local members, fields = {}, {}
  for i = 1, #ids, 2 do
    local id = ids[i]
    local message = redis.call('HGET', messages, id)
    if message then
      redis.call('RPUSH', queue, message)
      local lifetime = redis.call('HGET', messages, id .. ':ttl')
      if lifetime then queuedExpiring(expiries, message, tonumber(ids[i + 1]) + tonumber(lifetime)) end
    end
    table.insert(members, id)
    table.insert(fields, id)
    table.insert(fields, id .. ':ttl')
  end
  redis.call('HDEL', messages, unpack(fields))
  redis.call('ZREM', due, unpack(members))
  redis.call('PEXPIRE', queue, ttl)
  redis.call('PEXPIRE', expiries, ttl)
  return #members
end`;

/**
 * Promotes what is due of a queue (KEYS[1]; its due times KEYS[2], messages KEYS[3], expiries KEYS[4]; ARGV[1] its TTL) and wakes the
 * instances that wait on it (ARGV[2]); answers in how many milliseconds the next delayed message is due, -1 for none.
 */
const PROMOTE = `#!lua flags=allow-oom
${LUA_NOW}
${PROMOTE_DUE}
if promoteDue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], now, ARGV[1]) > 0 then
  redis.call('SPUBLISH', ARGV[2], '')
end
local next = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
if #next == 0 then return -1 end
return math.max(tonumber(next[2]) - now, 0)`;

/** Lua for a sweep's test (see KeySweep): delayed messages of `key` due by `now`. */
export const HOLDS_DUE = "redis.pcall('ZCOUNT', '{' .. key .. '}#delayed', '-inf', now) ~= 0";

export interface DelayedScripts {
  promote(queue: string, due: string, messages: string, expiries: string, ttl: number, wake: string): Promise<number>;
}

/** The delayed messages' script on `client`, defined on it the first time. */
export const delayedScripts = defineScripts<DelayedScripts>({
  promote: { numberOfKeys: 4, lua: PROMOTE },
});
