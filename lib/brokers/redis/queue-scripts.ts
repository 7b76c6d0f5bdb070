import type { Redis } from 'ioredis';

/**
 * Appends a message unless the queue is full ('reject': answers -1) or makes room ('drop-oldest'); refreshes the TTL;
 * and, given a channel (at least once), wakes the instances that wait on the queue.
 */
const PUBLISH = `
local length = redis.call('LLEN', KEYS[1])
local max = tonumber(ARGV[2])
if length >= max then
  if ARGV[3] == 'reject' then return -1 end
  redis.call('LTRIM', KEYS[1], length - max + 1, -1)
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
if ARGV[5] then redis.call('PUBLISH', ARGV[5], '') end
return length + 1`;

/**
 * Puts messages back at the head, in order, whatever the bound (nothing taken is ever dropped), and refreshes the
 * TTL. It runs even when Redis is out of memory (`allow-oom`): it only gives back what a pop took.
 */
const REQUEUE = `#!lua flags=allow-oom
for i = #ARGV, 2, -1 do redis.call('LPUSH', KEYS[1], ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])`;

/** The queue operations that must be atomic in Redis, as Lua scripts loaded on a connection. */
export interface QueueScripts {
  publishBounded(
    key: string,
    message: Buffer,
    maxLength: number,
    overflow: string,
    ttl: number,
    ...wake: [channel: string] | []
  ): Promise<number>;
  requeue(key: string, ttl: number, ...messages: Buffer[]): Promise<null>;
}

export function defineQueueScripts(connection: Redis): QueueScripts {
  connection.defineCommand('publishBounded', { numberOfKeys: 1, lua: PUBLISH });
  connection.defineCommand('requeue', { numberOfKeys: 1, lua: REQUEUE });
  return connection as unknown as QueueScripts;
}
