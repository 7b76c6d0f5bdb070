import type { Cluster, Redis } from 'ioredis';
import type { Writable } from 'node:stream';
import { UnsupportedIoredisError } from '../errors/index.js';
import type { RedisClient } from './redis-client.js';

/**
 * Every use the module makes of ioredis beyond its documented commands, events and options, in one place: a client's
 * resolved options, a Cluster's slot table and start-up nodes, a connection's socket, and the texts of the errors that
 * ioredis raises itself. Each is looked for before it is used, so that ioredis 5 and 6 both work (the Redis suites run
 * on both: see the test:ioredis5 script), and a release without one fails at start-up with an UnsupportedIoredisError,
 * or does without where that is safe.
 */

/** Whether the client is a Cluster (a Redis answers `isCluster` false). */
export function isCluster(client: object): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/** Fails with an UnsupportedIoredisError when the client lacks what the module cannot do without; run before connecting. */
export function assertSupported(client: RedisClient): void {
  optionsOf(client);
  if (isCluster(client) && !Array.isArray((client as { slots?: unknown }).slots)) {
    throw new UnsupportedIoredisError('"slots" table on its Cluster');
  }
}

/** The options a client was made with, ioredis's defaults filled in. */
export function optionsOf<C extends RedisClient>(client: C): C['options'] {
  const { options } = client as { options?: C['options'] };
  if (typeof options !== 'object') {
    throw new UnsupportedIoredisError('"options" on its clients');
  }
  return options;
}

/**
 * Runs `connect` with the client's retry strategy off, so that a first attempt that fails rejects at once (retries
 * would only delay a failing start); the strategy applies again after.
 */
export async function withoutRetries<T>(client: RedisClient, connect: () => Promise<T>): Promise<T> {
  const options = optionsOf(client) as Record<string, unknown>;
  const name = isCluster(client) ? 'clusterRetryStrategy' : 'retryStrategy';
  if (!(name in options)) {
    return connect();
  }
  const retry = options[name];
  options[name] = () => null;
  try {
    return await connect();
  } finally {
    options[name] = retry;
  }
}

/** A client that asks Sentinels which node is the master. */
export function followsSentinels(client: RedisClient): boolean {
  return !isCluster(client) && (optionsOf(client).sentinels?.length ?? 0) > 0;
}

/** `host:port` (as a Cluster names its nodes), or the Unix socket, or the Sentinels' master. */
export function addressOf(redis: Redis): string {
  const { path, host, port, sentinels, name } = optionsOf(redis);
  if (sentinels?.length) {
    return `the master "${name}" of Sentinel ${sentinels.map((sentinel) => `${sentinel.host ?? 'localhost'}:${sentinel.port ?? 26379}`).join(', ')}`;
  }
  return path || `${host}:${port}`;
}

/** The start-up nodes of a Cluster (kept in a private field: messages do without them if it is gone). */
export function clusterAddress(cluster: Cluster): string {
  const nodes = (cluster as unknown as { startupNodes?: unknown }).startupNodes;
  const named = (Array.isArray(nodes) ? nodes : []).map((node: { host?: string; port?: number } | string | number) =>
    typeof node === 'object' ? `${node.host ?? 'localhost'}:${node.port ?? 6379}` : String(node),
  );
  return `the Redis Cluster of ${named.join(', ') || 'its start-up nodes'}`;
}

/** The database a connection selected, for the keyspace notification channels (which name it). */
export function databaseOf(redis: Redis): number {
  return optionsOf(redis).db ?? 0;
}

/** The address of the master that serves `slot`, as the Cluster last learnt it (see assertSupported). */
export function ownerOfSlot(cluster: Cluster, slot: number): string | undefined {
  return cluster.slots[slot]?.[0];
}

/** The connection's socket, when ioredis exposes one that can be held and destroyed. */
function socketOf(connection: Redis): Writable | undefined {
  const stream = (connection as { stream?: Partial<Writable> }).stream;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function' && typeof stream.destroy === 'function'
    ? (stream as Writable)
    : undefined;
}

/** Whether a command sent on the connection now is written at once (its status alone when the socket is not exposed). */
export function writesNow(connection: Redis): boolean {
  return connection.status === 'ready' && (socketOf(connection)?.writable ?? true);
}

/**
 * Holds the connection's writes until `release` runs, so that many commands leave in one write; answers the socket
 * held (to release it), or undefined when it cannot be: the commands then leave one write each, as ioredis sends them.
 */
export function holdWrites(connection: Redis): Writable | undefined {
  const socket = socketOf(connection);
  socket?.cork();
  return socket;
}

/**
 * Drops the connection at once, so that ioredis reconnects and rejects what it held: for a network gone silent, where
 * an orderly close would wait for TCP to give up. Without a socket to destroy, it asks ioredis to reconnect.
 */
export function dropConnection(connection: Redis): void {
  const socket = socketOf(connection);
  if (socket) {
    socket.destroy();
  } else {
    connection.disconnect(true);
  }
}

/*
 * The texts of the errors ioredis raises itself (those of Redis's replies are in redis-replies.ts), the same in
 * ioredis 5 and 6.
 */

/** ioredis refused the command before sending it: no connection could take it. Sending it again is safe. */
export function wasNotSent(error: unknown): boolean {
  const message = (error as Error)?.message ?? '';
  return message.startsWith("Stream isn't writeable") || message.startsWith("Cluster isn't ready");
}

/**
 * The Cluster refused the command without running it, and went on refusing through ioredis's retries: it is down
 * (`CLUSTERDOWN`, while a replica takes over a failed master) or its slots move (`MOVED`, `ASK`, `TRYAGAIN`).
 */
export function wasRefusedByCluster(error: unknown): boolean {
  return (error as Error)?.message?.startsWith('Too many Cluster redirections') === true;
}

/** The connection closed with the command queued or sent: Redis may or may not have run it. */
export function wasCutOff(error: unknown): boolean {
  const message = (error as Error)?.message;
  return message === 'Connection is closed.' || message === 'Cluster is ended.';
}

/** ioredis lost track of which reply answers which command (seen with a MOVED in the middle of a slot migration). */
export function lostTrackOfReplies(error: Error): boolean {
  return error.message.startsWith('Command queue state error');
}
