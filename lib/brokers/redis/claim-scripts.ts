import { defineScripts } from '../../redis/define-scripts.js';
import type { SweepTest } from '../../redis/key-sweep.js';
import { LUA_NOW } from '../../redis/lua-now.js';
import { HOLDS_DUE, PROMOTE_DUE } from './delayed-scripts.js';


/**
 * The receipts from ARGV[first] on (id, nonce, …) that cannot settle their claim (claims hash KEYS[claims], deadlines
 * KEYS[deadlines]): `refused` = { index, reason, … }, index 1-based among the receipts.
 */
const REFUSALS = (first: number, claims: number, deadlines: number) => `
local refused = {}
for i = ${first}, #ARGV, 2 do
  local id, nonce = ARGV[i], ARGV[i + 1]
  local current = redis.call('HGET', KEYS[${claims}], id .. ':r')
  local reason = nil
  if not current then
    reason = 'unknown'
  elseif current ~= nonce or tonumber(redis.call('ZSCORE', KEYS[${deadlines}], id)) <= now then
    reason = 'expired'
  end
  if reason then
    table.insert(refused, (i - ${first}) / 2 + 1)
    table.insert(refused, reason)
  end
end`;

/** Forgets the claims of the receipts from ARGV[first] on: they are acknowledged. */
const ACKNOWLEDGE = (first: number, claims: number, deadlines: number) => `
for i = ${first}, #ARGV, 2 do
  redis.call('HDEL', KEYS[${claims}], ARGV[i], ARGV[i] .. ':n', ARGV[i] .. ':r')
  redis.call('ZREM', KEYS[${deadlines}], ARGV[i])
end`;

/**
 * Hands out up to ARGV[1] messages of a queue (KEYS[1]) under claims: each is recorded in the claims hash (KEYS[2]:
 * the message at its id, its delivery count at `id:n`, its latest delivery's nonce at `id:r`) and the deadlines
 * (KEYS[3]) in the same step, so that no fault between the pop and the record can lose it. Claims whose deadline
 * passed come first and count one more delivery, or move to the dead letters (KEYS[4]) after ARGV[3] deliveries.
 * Receipts from ARGV[6] on (id, nonce, …) are acknowledged first, all or none: a looping client's acknowledgement and
 * its next claim cost one round trip. Delayed messages that came due (KEYS[5], KEYS[6]) join the queue first; a
 * message whose expiry (KEYS[7]) passed before its first claim is dropped. Answers { dead-lettered count, { id, count,
 * message, … }, refused receipts, expired count }; when any is refused, nothing else is done. It moves rather than adds data, so it runs when Redis is out of memory
 * too: consuming is what frees it.
 */
const CLAIM = `#!lua flags=allow-oom
local max, visibility, maxDeliveries = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local nonce, ttl = ARGV[4], tonumber(ARGV[5])
${LUA_NOW}
${PROMOTE_DUE}
${REFUSALS(6, 2, 3)}
if #refused > 0 then return { 0, {}, refused, 0 } end
${ACKNOWLEDGE(6, 2, 3)}
promoteDue(KEYS[1], KEYS[5], KEYS[6], KEYS[7], now, ttl)
local handed, dead = {}, 0
local function hand(id, count, message)
  redis.call('HSET', KEYS[2], id, message, id .. ':n', count, id .. ':r', nonce)
  redis.call('ZADD', KEYS[3], now + visibility, id)
  table.insert(handed, id)
  table.insert(handed, count)
  table.insert(handed, message)
end
while #handed < 3 * max do
  local due = redis.call('ZRANGE', KEYS[3], '-inf', now, 'BYSCORE', 'LIMIT', 0, max - #handed / 3)
  if #due == 0 then break end
  for _, id in ipairs(due) do
    local message = redis.call('HGET', KEYS[2], id)
    local count = tonumber(redis.call('HGET', KEYS[2], id .. ':n'))
    if message and count < maxDeliveries then
      hand(id, count + 1, message)
    else
      if message then
        redis.call('RPUSH', KEYS[4], message)
        redis.call('PEXPIRE', KEYS[4], ttl)
        dead = dead + 1
      end
      redis.call('HDEL', KEYS[2], id, id .. ':n', id .. ':r')
      redis.call('ZREM', KEYS[3], id)
    end
  end
end
local expired = 0
if #handed < 3 * max then
  local popped, _
  popped, _, expired = popLive(KEYS[1], KEYS[7], max - #handed / 3, now)
  for _, message in ipairs(popped) do
    hand(tostring(redis.call('HINCRBY', KEYS[2], '#seq', 1)), 1, message)
  end
end
if #handed > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl + visibility)
  redis.call('PEXPIRE', KEYS[3], ttl + visibility)
end
return { dead, handed, {}, expired }`;

/**
 * Settles claims (KEYS[2] deadlines, KEYS[1] claims), all or none: ARGV[1] is `ack` (forget them), `release` (due at
 * once: delivered again next) or `unclaim` (the same, uncounted: a delivery that reached nobody); ARGV[2] the channel
 * that wakes waiting instances; then id and nonce of each receipt. Answers the refused ones: { index, reason, ... }.
 */
const SETTLE = `#!lua flags=allow-oom
${LUA_NOW}
${REFUSALS(3, 1, 2)}
if #refused > 0 then return refused end
if ARGV[1] == 'ack' then
  ${ACKNOWLEDGE(3, 1, 2)}
  return refused
end
for i = 3, #ARGV, 2 do
  redis.call('ZADD', KEYS[2], 0, ARGV[i])
  if ARGV[1] == 'unclaim' then redis.call('HINCRBY', KEYS[1], ARGV[i] .. ':n', -1) end
end
redis.call('SPUBLISH', ARGV[2], '')
return refused`;

/**
 * Sets the deadlines (KEYS[2]) of claims (KEYS[1]) to ARGV[1] milliseconds from now, all or none; then id and nonce
 * of each receipt. The claims outlive their new deadlines. Answers the refused ones: { index, reason, ... }. It only
 * changes what is there, so it runs when Redis is out of memory too: a long job keeps its claim.
 */
const EXTEND = `#!lua flags=allow-oom
${LUA_NOW}
${REFUSALS(2, 1, 2)}
if #refused > 0 then return refused end
local visibility = tonumber(ARGV[1])
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[2], 'XX', now + visibility, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], visibility, 'GT')
redis.call('PEXPIRE', KEYS[2], visibility, 'GT')
return refused`;

/**
 * Messages waiting to be received: the queue (KEYS[1]), the claims (KEYS[2]) whose deadline passed, and the delayed
 * messages (KEYS[3]) that came due.
 */
const CLAIMED_LENGTH = `
${LUA_NOW}
return redis.call('LLEN', KEYS[1]) + redis.call('ZCOUNT', KEYS[2], '-inf', now) + redis.call('ZCOUNT', KEYS[3], '-inf', now)`;

/**
 * The sweep's test (see KeySweep): a queue with messages, claims whose deadline passed (at `{<key>}#deadlines`), or
 * delayed messages that came due.
 */
export const CLAIMABLE: SweepTest = {
  name: 'sweepClaims',
  prelude: LUA_NOW,
  holds: `redis.pcall('LLEN', key) ~= 0 or redis.pcall('ZCOUNT', '{' .. key .. '}#deadlines', '-inf', now) ~= 0 or ${HOLDS_DUE}`,
};

/** Moves the dead letters (KEYS[1]) to the tail of the queue (KEYS[2]) and wakes waiting instances; answers how many. */
const REQUEUE_DEAD = `
local moved = 0
while redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT') do moved = moved + 1 end
if moved > 0 then
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
  redis.call('SPUBLISH', ARGV[2], '')
end
return moved`;

/** Deletes the dead letters (KEYS[1]); answers how many there were. */
const PURGE_DEAD = `
local count = redis.call('LLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return count`;

export type SettleMode = 'ack' | 'release' | 'unclaim';

/**
 * What a claim answers: how many it dead-lettered, { id, count, message, … } handed out, refused receipts, and how many
 * expired.
 */
export type ClaimReply = [deadLettered: number, handed: (Buffer | number)[], refused: (Buffer | number)[], expired: number];

/** Acknowledged delivery's operations, as Lua scripts. */
export interface ClaimScripts {
  claimBuffer(
    queue: string,
    claims: string,
    deadlines: string,
    dead: string,
    due: string,
    delayedMessages: string,
    expiries: string,
    max: number,
    visibility: number,
    maxDeliveries: number,
    nonce: string,
    ttl: number,
    ...acknowledged: string[]
  ): Promise<ClaimReply>;
  settle(claims: string, deadlines: string, mode: SettleMode, wake: string, ...receipts: string[]): Promise<(number | string)[]>;
  extend(claims: string, deadlines: string, visibility: number, ...receipts: string[]): Promise<(number | string)[]>;
  claimedLength(queue: string, deadlines: string, due: string): Promise<number>;
  requeueDead(dead: string, queue: string, ttl: number, wake: string): Promise<number>;
  purgeDead(dead: string): Promise<number>;
}

/** The claim scripts on `client`, defined on it the first time. */
export const claimScripts = defineScripts<ClaimScripts>({
  claim: { numberOfKeys: 7, lua: CLAIM },
  settle: { numberOfKeys: 2, lua: SETTLE },
  extend: { numberOfKeys: 2, lua: EXTEND },
  claimedLength: { numberOfKeys: 3, lua: CLAIMED_LENGTH },
  requeueDead: { numberOfKeys: 2, lua: REQUEUE_DEAD },
  purgeDead: { numberOfKeys: 1, lua: PURGE_DEAD },
});
