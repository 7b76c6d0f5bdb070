import { companionKey } from '../../redis/key-layout.js';

/**
 * The key beside a queue, in its hash slot, that holds when its messages published with a `ttl` expire: a hash from
 * the SHA-1 of a message's bytes to the expiry times (Redis time, ms) of the queued messages with those bytes, in
 * queue order, separated by spaces. The list itself holds only the bytes published, so that any client may read it;
 * identical bytes pair with their expiries first in, first out, which no consumer can tell from any other pairing.
 */
export function expiriesKey(key: string): string {
  return companionKey(key, 'expiries');
}

/**
 * Lua: `queuedExpiring(expiries, message, at)` records that a message just pushed to a queue's tail expires at `at`;
 * `restoreExpiry(expiries, message, at)` does the same for one given back to its head (`at` 0: none, nothing to do);
 * `popLive(queue, expiries, count, now)` pops up to `count` messages, dropping those whose expiry passed, and answers
 * `live, expiresAt, expired`: the messages, their expiries (0: none), and how many were dropped. A queue without an
 * expiries hash costs one EXISTS over a plain LPOP. They only move or free data, so out-of-memory scripts may call them.
 */
export const EXPIRIES = `
local function queuedExpiring(expiries, message, at)
  local sha = redis.sha1hex(message)
  local held = redis.call('HGET', expiries, sha)
  redis.call('HSET', expiries, sha, held and (held .. ' ' .. string.format('%d', at)) or string.format('%d', at))
end
local function restoreExpiry(expiries, message, at)
  if at == 0 then return end
  local sha = redis.sha1hex(message)
  local held = redis.call('HGET', expiries, sha)
  redis.call('HSET', expiries, sha, held and (string.format('%d', at) .. ' ' .. held) or string.format('%d', at))
end
local function takeExpiry(expiries, message)
  local sha = redis.sha1hex(message)
  local held = redis.call('HGET', expiries, sha)
  if not held then return 0 end
  local first, rest = string.match(held, '^(%d+) ?(.*)$')
  if rest == '' then redis.call('HDEL', expiries, sha) else redis.call('HSET', expiries, sha, rest) end
  return tonumber(first)
end
local function popLive(queue, expiries, count, now)
  if redis.call('EXISTS', expiries) == 0 then
    return redis.call('LPOP', queue, count) or {}, {}, 0
  end
  local live, expiresAt, expired = {}, {}, 0
  while #live < count do
    local popped = redis.call('LPOP', queue, count - #live)
    if not popped then break end
    for _, message in ipairs(popped) do
      local at = takeExpiry(expiries, message)
      if at ~= 0 and at <= now then
        expired = expired + 1
      else
        table.insert(live, message)
        table.insert(expiresAt, at)
      end
    end
  end
  return live, expiresAt, expired
end`;
