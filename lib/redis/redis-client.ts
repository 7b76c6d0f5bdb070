import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis, RedisCommander } from 'ioredis';

/**
 * What the module knows of ioredis beyond its documented commands, in one place: which client is a Cluster, where a
 * key lives, and what its error texts mean. Each is checked against ioredis 5 and 6.
 */

/** A client of the module's own: one Redis node (or the master that Sentinel names), or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** The commands every client answers, a Cluster routing each by its key. */
export type RedisCommands = RedisCommander;

export function isCluster(client: object): client is Cluster {
  return (client as Cluster).isCluster === true;
}

/** A client that asks Sentinels which node is the master. */
export function followsSentinels(client: RedisClient): boolean {
  return !isCluster(client) && (client.options.sentinels?.length ?? 0) > 0;
}

/** `host:port` (as a Cluster names its nodes), or the Unix socket. */
export function addressOf(redis: Redis): string {
  const { path, host, port, sentinels, name } = redis.options;
  if (sentinels?.length) {
    return `the master "${name}" of Sentinel ${sentinels.map((sentinel) => `${sentinel.host ?? 'localhost'}:${sentinel.port ?? 26379}`).join(', ')}`;
  }
  return path || `${host}:${port}`;
}

/** The start-up nodes of a Cluster, for messages. */
export function clusterAddress(cluster: Cluster): string {
  const nodes = (cluster as unknown as { startupNodes?: ({ host?: string; port?: number } | string | number)[] }).startupNodes ?? [];
  const named = nodes.map((node) => (typeof node === 'object' ? `${node.host ?? 'localhost'}:${node.port ?? 6379}` : String(node)));
  return `the Redis Cluster of ${named.join(', ') || 'its start-up nodes'}`;
}

/** The Cluster hash slot of a key (a shard channel hashes the same way). */
export function slotOf(key: string): number {
  return calculateSlot(key);
}

/** The address of the master that serves `slot`, as the Cluster last learnt it. */
export function ownerOfSlot(cluster: Cluster, slot: number): string | undefined {
  return cluster.slots[slot]?.[0];
}

/** The Cluster's connection to the master at `address`, if it has one. */
export function masterAt(cluster: Cluster, address: string): Redis | undefined {
  return cluster.nodes('master').find((node) => addressOf(node) === address);
}

/** The connection a command on `key` goes out on: the client itself, or the Cluster's connection to the key's master. */
export function connectionFor(client: RedisClient, key: string): Redis | undefined {
  if (!isCluster(client)) {
    return client;
  }
  const owner = ownerOfSlot(client, slotOf(key));
  return owner === undefined ? undefined : masterAt(client, owner);
}

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

/**
 * A replica refused the write without running it: the node this connection reached is a master no longer (a Sentinel
 * failover while it stayed connected, or an old master that came back and was made a replica).
 */
export function wasRefusedByReplica(error: unknown): boolean {
  return (error as Error)?.message?.startsWith('READONLY ') === true;
}

/** A Cluster's node connection closed with the command queued or sent: Redis may or may not have run it. */
export function wasCutOff(error: unknown): boolean {
  const message = (error as Error)?.message;
  return message === 'Connection is closed.' || message === 'Cluster is ended.';
}

/** The error a Redis node answers a command for a slot it does not serve: `MOVED <slot> <address>`. */
export function isMoved(error: unknown): boolean {
  return (error as Error)?.message?.startsWith('MOVED ') === true;
}
