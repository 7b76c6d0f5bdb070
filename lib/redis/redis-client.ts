import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis, RedisCommander } from 'ioredis';
import { addressOf, isCluster, ownerOfSlot } from './ioredis-internals.js';

/** A client of the module's own: one Redis node (or the master that Sentinel names), or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** The commands every client answers, a Cluster routing each by its key. */
export type RedisCommands = RedisCommander;

/** The Cluster hash slot of a key (a shard channel hashes the same way). */
export function slotOf(key: string): number {
  return calculateSlot(key);
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
