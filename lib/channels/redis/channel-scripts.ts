import { defineScripts } from '../../redis/define-scripts.js';

/** Compares two stream ids as numbers (a sequence may exceed what a Lua number holds exactly). */
const COMPARE_IDS = `
local function digits(a, b)
  a, b = (string.gsub(a, '^0+', '')), (string.gsub(b, '^0+', ''))
  if #a ~= #b then return #a < #b and -1 or 1 end
  if a == b then return 0 end
  return a < b and -1 or 1
end
local function compare(x, y)
  local xms, xseq = string.match(x, '^(%d+)-(%d+)$')
  local yms, yseq = string.match(y, '^(%d+)-(%d+)$')
  local ms = digits(xms, yms)
  if ms ~= 0 then return ms end
  return digits(xseq, yseq)
end`;

/**
 * Appends a message (as the field `message`), drops the oldest beyond the channel's retention, refreshes its TTL, and
 * publishes `<previous id>\n<id>\n<message>` on its wake channel: subscribers append it without reading, and know
 * from the previous id whether they missed one. It records the last id it dropped as the stream's max-deleted-entry-id
 * (trimming does not), and a channel created here the id before its first message: a cursor from before either (a
 * channel that expired) then reads as a gap.
 */
const APPEND = `
local latest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local created = #latest == 0 and redis.call('EXISTS', KEYS[1]) == 0
local id = redis.call('XADD', KEYS[1], '*', 'message', ARGV[1])
local excess = redis.call('XLEN', KEYS[1]) - tonumber(ARGV[2])
local dropped
if created then
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  dropped = seq == '0' and string.format('%.0f', tonumber(ms) - 1) .. '-18446744073709551615' or ms .. '-' .. (tonumber(seq) - 1)
elseif excess > 0 then
  local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', excess)
  dropped = oldest[#oldest][1]
  redis.call('XTRIM', KEYS[1], 'MAXLEN', ARGV[2])
end
if dropped then redis.call('XSETID', KEYS[1], id, 'MAXDELETEDID', dropped) end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('SPUBLISH', ARGV[4], (latest[1] and latest[1][1] or '0-0') .. '\\n' .. id .. '\\n' .. ARGV[1])
return id`;

/**
 * Reads after a cursor: `{ last id, gap, entries }`. The last id is the channel's latest (0-0 when it does not exist);
 * gap is 1 when messages after the cursor were dropped (or the channel expired), -1 when the cursor is newer than the
 * last id; the entries are those after the cursor, up to ARGV[2]. Without a cursor it answers the last id only. From
 * 0-0 (the origin) a gap is a message ever dropped, not the mark a new channel carries.
 */
const READ = `${COMPARE_IDS}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'0-0', (ARGV[1] == '' or ARGV[1] == '0-0') and 0 or 1} end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local last, deleted, added, length = '0-0', '0-0', 0, 0
for i = 1, #info, 2 do
  local field, value = info[i], info[i + 1]
  if field == 'last-generated-id' then last = value
  elseif field == 'max-deleted-entry-id' then deleted = value
  elseif field == 'entries-added' then added = value
  elseif field == 'length' then length = value end
end
if ARGV[1] == '' then return {last, 0} end
if compare(ARGV[1], last) > 0 then return {last, -1} end
local gap
if ARGV[1] == '0-0' then gap = added > length else gap = compare(deleted, ARGV[1]) > 0 end
return {last, gap and 1 or 0, redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])}`;

/** A stream entry as Redis answers it: its id, and its fields and values. */
export type StreamEntry = [id: Buffer, fields: Buffer[]];

/** The channel operations that must be atomic in Redis, as Lua scripts. */
export interface ChannelScripts {
  appendToChannel(key: string, message: Buffer, retention: number, ttl: number, wake: string): Promise<string>;
  readChannelBuffer(key: string, cursor: string, max: number): Promise<[last: Buffer, gap: number, entries?: StreamEntry[]]>;
}

/** The channel scripts on `client`, defined on it the first time. */
export const channelScripts = defineScripts<ChannelScripts>({
  appendToChannel: { numberOfKeys: 1, lua: APPEND },
  readChannel: { numberOfKeys: 1, lua: READ },
});
