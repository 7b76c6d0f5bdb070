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

/** The Redis connections of one registration, by the names the module gives them (`pistachio:<namespace>:<role>`). */
export async function connectionsOf(redis: Redis, namespace: string): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.split('\n').filter((client) => client.includes(` name=pistachio:${namespace}:`)).length;
}

/** Clients blocked in a command (BLPOP) now. */
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
 * Whether `count` polls wait in the registration and, on Redis, can be woken: each of `endpoints` subscribed
 * (channels: Pub/Sub), or a blocking read armed (queues). A message published before would reach fewer of them.
 */
export async function allWaiting(app: BenchApp, redis: Redis, design: Design, count: number, endpoints: string[]): Promise<boolean> {
  if ((await app.call<number>('GET', `/bench/waiting?design=${design}`)) < count) {
    return false;
  }
  const { namespace } = registrations[design];
  if ((await connectionsOf(redis, namespace)) === 0) {
    // The memory broker: a waiting poll is ready.
    return true;
  }
  if (design === 'queues') {
    return (await blockedClients(redis)) >= 1;
  }
  const subscribers = await subscribersOf(redis, endpoints.map((endpoint) => `${namespace}:${endpoint}#wake`));
  return subscribers.every((subscribed) => subscribed > 0);
}

/** The subscribers of each Pub/Sub channel (`PUBSUB NUMSUB`, a flat list in RESP2, a map in RESP3). */
async function subscribersOf(redis: Redis, channels: string[]): Promise<number[]> {
  const reply = (await redis.call('PUBSUB', 'NUMSUB', ...channels)) as unknown;
  const counts = Array.isArray(reply)
    ? reply.filter((_, i) => i % 2 === 1)
    : reply instanceof Map
      ? [...reply.values()]
      : Object.values(reply as object);
  return counts.map(Number);
}
