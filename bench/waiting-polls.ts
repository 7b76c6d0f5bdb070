import type { Redis } from 'ioredis';
import type { BenchApp } from './bench-app.process.js';

/** What the scenarios that hold many polls waiting read of the app and of Redis. */

/** The app's heap and RSS, read after a GC. */
export interface Memory {
  heapUsed: number;
  rss: number;
}

export const memoryOf = (app: BenchApp) => app.call<Memory>('GET', '/bench/memory');

/** Polls that have reached a poll route of the app since it started (its arrivals middleware). */
export const arrivalsOf = (app: BenchApp) => app.call<number>('GET', '/bench/arrivals');

/** What each of `waiting` polls added to the app's heap and RSS between two readings. */
export function perPoll(before: Memory, after: Memory, waiting: number): { heapPerPollBytes: number; rssPerPollBytes: number } {
  return {
    heapPerPollBytes: Math.round((after.heapUsed - before.heapUsed) / waiting),
    rssPerPollBytes: Math.round((after.rss - before.rss) / waiting),
  };
}

/** Resolves after `ms`, without holding the process up for it: a deadline raced against what it bounds. */
export const deadline = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Polls `condition` until it holds (true) or `deadline` passes (false): a design that breaks never gets there. */
export async function until(condition: () => Promise<boolean>, deadline = 30_000): Promise<boolean> {
  const giveUp = Date.now() + deadline;
  while (Date.now() < giveUp) {
    if (await condition()) {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

/**
 * Opens `count` polls (`open(i)`) in groups of `group`, each once the previous group has arrived (or `deadline` has
 * passed for it): thousands of connections at once overflow the app's listen backlog on a loaded machine.
 */
export async function openInGroups(
  count: number,
  open: (i: number) => void,
  arrived: () => Promise<number>,
  { group = 500, deadline = 30_000 } = {},
): Promise<void> {
  for (let first = 0; first < count; first += group) {
    const last = Math.min(first + group, count);
    for (let i = first; i < last; i++) {
      open(i);
    }
    await until(async () => (await arrived()) >= last, deadline);
  }
}

/** All clients connected to Redis, the driver's own included. */
export async function clientCount(redis: Redis): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.trim().split('\n').length;
}

/** Redis, or the masters of a Cluster: what is asked of it is asked of each and summed. */
export type Masters = Redis | Redis[];

/** The Redis connections of the app's module, by the names it gives them (`pistachio:<namespace>:<role>`). */
export async function moduleConnections(masters: Masters): Promise<number> {
  return sumOver(masters, async (redis) => {
    const list = (await redis.client('LIST')) as string;
    return list.split('\n').filter((client) => client.includes(' name=pistachio:')).length;
  });
}

async function sumOver(masters: Masters, ask: (redis: Redis) => Promise<number>): Promise<number> {
  const counts = await Promise.all([masters].flat().map(ask));
  return counts.reduce((sum, count) => sum + count, 0);
}

/** Clients blocked in a command (BLPOP) now: the naive design's waiting polls. */
export async function blockedClients(redis: Redis): Promise<number> {
  return Number(/blocked_clients:(\d+)/.exec(await redis.info('clients'))?.[1]);
}

/** A registration of the bench app: its broadcast channels (`/channels`) or its queues (`/messages`). */
export type Design = 'channel' | 'queues';
export const registrations = {
  channel: { path: 'channels', namespace: 'benchcast' },
  queues: { path: 'messages', namespace: 'bench' },
} as const satisfies Record<Design, { path: string; namespace: string }>;

/**
 * Whether `count` polls wait in the registration and, on Redis, can be woken: the wake channel of each of
 * `endpoints` subscribed. A message published before would reach fewer of them.
 */
export async function allWaiting(app: BenchApp, redis: Redis, design: Design, count: number, endpoints: string[]): Promise<boolean> {
  if ((await app.call<number>('GET', `/bench/waiting?design=${design}`)) < count) {
    return false;
  }
  if ((await moduleConnections(redis)) === 0) {
    // The memory broker: a waiting poll is ready.
    return true;
  }
  const { namespace } = registrations[design];
  const subscribers = await shardSubscribersOf(redis, endpoints.map((endpoint) => `{${namespace}:${endpoint}}#wake`));
  return subscribers.every((subscribed) => subscribed > 0);
}

/** How many of a registration's endpoints some instance listens on now (their wake channels subscribed). */
export async function endpointsListenedTo(masters: Masters, namespace: string): Promise<number> {
  return sumOver(masters, async (redis) => ((await redis.call('PUBSUB', 'SHARDCHANNELS', `{${namespace}:*}#wake`)) as unknown[]).length);
}

/** The subscribers of each shard channel (`PUBSUB SHARDNUMSUB`, a flat list in RESP2, a map in RESP3). */
async function shardSubscribersOf(redis: Redis, channels: string[]): Promise<number[]> {
  const reply = (await redis.call('PUBSUB', 'SHARDNUMSUB', ...channels)) as unknown;
  const counts = Array.isArray(reply)
    ? reply.filter((_, i) => i % 2 === 1)
    : reply instanceof Map
      ? [...reply.values()]
      : Object.values(reply as object);
  return counts.map(Number);
}
