import type { Redis } from 'ioredis';
import { databaseOf } from './ioredis-internals.js';
import { settleBy } from './settle-by.js';

/**
 * Keyspace notifications, when a master has them on for lists or streams (`notify-keyspace-events` with `K` or `E`,
 * and `l`, `t` or `A`): then a push by any other client wakes the waiting instances at once. They stay on the master
 * where the key changed, so each master's subscriber listens on its own master.
 */
export interface KeyspaceNotifications {
  /** `K`: per key, `__keyspace@<db>__:<key>`, the event in the message. */
  keyspace: boolean;
  /** `E`: per event, `__keyevent@<db>__:<event>`, the key in the message. */
  keyevent: boolean;
  db: number;
}

/** The events that put something in a list or a stream, as keyspace notifications name them. */
const PUSHES = new Set(['rpush', 'lpush', 'linsert', 'xadd']);

export const NO_NOTIFICATIONS: KeyspaceNotifications = { keyspace: false, keyevent: false, db: 0 };

/** How long the question may take: a connection being replaced would never answer it. */
const ANSWER_WITHIN_MS = 1_000;

/** What the master behind `connection` notifies; none when it refuses CONFIG (a managed service may) or is silent. */
export async function readNotifications(connection: Redis): Promise<KeyspaceNotifications> {
  const asking = connection.config('GET', 'notify-keyspace-events').catch(() => []);
  const reply = ((await settleBy(asking, Date.now() + ANSWER_WITHIN_MS, () => undefined)) ?? []) as unknown[];
  const flags = String(reply[1] ?? '');
  const pushes = /[Alt]/.test(flags);
  return { keyspace: pushes && flags.includes('K'), keyevent: pushes && flags.includes('E'), db: databaseOf(connection) };
}

export function keyspaceChannel({ db }: KeyspaceNotifications, key: string): string {
  return `__keyspace@${db}__:${key}`;
}

export function keyeventChannels({ db }: KeyspaceNotifications): string[] {
  return [...PUSHES].map((event) => `__keyevent@${db}__:${event}`);
}

/** The key a notification says was pushed to; undefined for any other notification. */
export function pushedKey({ db }: KeyspaceNotifications, channel: string, message: string): string | undefined {
  const keyspace = `__keyspace@${db}__:`;
  if (channel.startsWith(keyspace)) {
    return PUSHES.has(message) ? channel.slice(keyspace.length) : undefined;
  }
  const keyevent = `__keyevent@${db}__:`;
  return channel.startsWith(keyevent) && PUSHES.has(channel.slice(keyevent.length)) ? message : undefined;
}
