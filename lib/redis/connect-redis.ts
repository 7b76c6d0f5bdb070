import { Logger } from '@nestjs/common';
import type { ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { InvalidOptionsError, RedisConnectionError, RedisVersionError } from '../errors/index.js';
import type { PistachioClusterOption, PistachioModuleOptions, PistachioRedisClient } from '../interfaces/index.js';
import { importPeer } from '../optional-peer.js';
import { addressOf, assertSupported, clusterAddress, isCluster, optionsOf, withoutRetries } from './ioredis-internals.js';
import type { RedisClient } from './redis-client.js';
import { wasRefusedByReplica } from './redis-replies.js';
import { SINGLE_SEND_CLUSTER_OPTIONS, SINGLE_SEND_OPTIONS } from './single-send-connection.js';
import type { Master } from './topology.js';

export type RedisOption = NonNullable<PistachioModuleOptions['redis']>;

/** Longest wait between two reconnection attempts, jitter included, so that polls are served soon after Redis is back. */
const MAX_RECONNECT_DELAY_MS = 200;
/** Spreads the reconnections of many instances to a Redis that comes back. */
const RECONNECT_JITTER_MS = 40;
/** How often a Cluster client asks who serves which slot: a failover is noticed within it. */
const SLOTS_REFRESH_MS = 1_000;

/** Waits 25, 50, 100 ms… between attempts, never more than MAX_RECONNECT_DELAY_MS. */
export function reconnectPromptly(attempt: number): number {
  const backoff = Math.min(25 * 2 ** (attempt - 1), MAX_RECONNECT_DELAY_MS - RECONNECT_JITTER_MS);
  return backoff + Math.random() * RECONNECT_JITTER_MS;
}

/**
 * Opens a client of the module's own on the deployment the `redis` option names (one Redis, a Sentinel's master, or
 * a Cluster), set to send each command once at most, and waits until it is ready: start-up fails fast, naming the
 * address, when Redis cannot be reached or a master is older than 7.0. It reconnects with reconnectPromptly unless the
 * app passed a client or a retry strategy of its own.
 */
export async function openClient(redis: RedisOption, connectionName: string): Promise<RedisClient> {
  const ioredis = await importPeer(() => import('ioredis'), 'ioredis', 'The "redis" option');
  const client = createClient(ioredis, redis, connectionName);
  assertSupported(client);
  let cause: unknown;
  const remember = (error: unknown) => (cause = error);
  client.on('error', remember);
  try {
    // The first attempt decides: retries would only delay a failing start.
    await withoutRetries(client, () => client.connect());
  } catch (error) {
    client.disconnect();
    throw new RedisConnectionError(describe(client), cause ?? error);
  } finally {
    client.off('error', remember);
  }
  return client;
}

/** Rejects with a RedisVersionError naming the first master older than 7.0 (the module's scripts need 7.0). */
export async function assertRedisVersions(masters: Master[]): Promise<void> {
  await Promise.all(
    masters.map(async ({ address, connection }) => {
      const info = await connection.info('server');
      const version = /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'an unknown version';
      if (!(Number.parseInt(version, 10) >= 7)) {
        throw new RedisVersionError(address, version);
      }
    }),
  );
}

/** A connection to `master` for subscribing, set up as the module's clients are (credentials, TLS); it connects when asked. */
export function subscriberConnection(client: RedisClient, master: Master, connectionName: string): Redis {
  return master.connection.duplicate({
    connectionName,
    lazyConnect: true,
    enableOfflineQueue: false,
    // It subscribes again itself after a reconnect, once it knows its CLIENT ID (see ShardSubscriber).
    autoResubscribe: false,
    // A Cluster's node connections never reconnect; this one does, until a failover takes its master away.
    ...(isCluster(client) ? { retryStrategy: reconnectPromptly, readOnly: false } : {}),
  });
}

export function describe(client: RedisClient): string {
  return isCluster(client) ? clusterAddress(client) : addressOf(client);
}

function createClient({ Redis, Cluster }: Pick<typeof import('ioredis'), 'Redis' | 'Cluster'>, redis: RedisOption, connectionName: string): RedisClient {
  // Keys are always `<namespace>:<endpoint>`: the module's scripts name the keys they touch.
  const settings: RedisOptions = { ...SINGLE_SEND_OPTIONS, connectionName, keyPrefix: undefined, lazyConnect: true };
  if (isClusterOption(redis)) {
    return new Cluster(redis.cluster.nodes, clusterSettings(redis.cluster.options ?? {}, connectionName));
  }
  if (isClient(redis)) {
    const client = redis as RedisClient;
    return isCluster(client)
      ? client.duplicate([], clusterSettings(optionsOf(client), connectionName))
      : client.duplicate({ ...settings, ...throughFailovers(optionsOf(client)) });
  }
  return typeof redis === 'string'
    ? new Redis(redis, { retryStrategy: reconnectPromptly, ...settings })
    : new Redis({ retryStrategy: reconnectPromptly, ...(redis as RedisOptions), ...settings, ...throughFailovers(redis as RedisOptions) });
}

/**
 * A client of Sentinels reconnects, and so asks them for the master again, when the node it is on answers as a replica:
 * ioredis checks the role only when it connects.
 */
function throughFailovers(options: RedisOptions): RedisOptions {
  return options.sentinels?.length ? { reconnectOnError: wasRefusedByReplica } : {};
}

/** A Cluster client's options, refused when they would move the module's keys, set to send each command once. */
function clusterSettings(options: ClusterOptions, connectionName: string): ClusterOptions {
  const { redisOptions = {} } = options;
  if (options.keyPrefix || redisOptions.keyPrefix) {
    throw new InvalidOptionsError(
      'redis',
      'a Cluster without keyPrefix (keys are "<namespace>:<endpoint>": set the namespace instead)',
      options.keyPrefix || redisOptions.keyPrefix,
    );
  }
  if (redisOptions.db) {
    throw new InvalidOptionsError('redis', 'a Cluster on db 0 (a Redis Cluster has no other database)', redisOptions.db);
  }
  return {
    ...options,
    ...SINGLE_SEND_CLUSTER_OPTIONS,
    lazyConnect: true,
    slotsRefreshInterval: Math.min(options.slotsRefreshInterval ?? SLOTS_REFRESH_MS, SLOTS_REFRESH_MS),
    redisOptions: { ...redisOptions, autoResendUnfulfilledCommands: false, connectionName },
  };
}

function isClusterOption(redis: RedisOption): redis is PistachioClusterOption {
  return typeof redis === 'object' && 'cluster' in redis && typeof (redis as PistachioClusterOption).cluster === 'object';
}

/** An ioredis client of the app's, rather than options to make one from. */
export function isClient(redis: RedisOption): redis is PistachioRedisClient {
  return typeof (redis as PistachioRedisClient).duplicate === 'function';
}

/** Logs the first error of an outage and the end of it (per master on a Cluster), not every failed attempt. */
export function reportOutages(client: RedisClient, logger: Logger): void {
  if (!isCluster(client)) {
    let down = false;
    client.on('error', (error: Error) => {
      if (!down) {
        down = true;
        logger.warn(`Redis connection error: ${error.message}; reconnecting`);
      }
    });
    client.on('ready', () => {
      if (down) {
        down = false;
        logger.log(`Reconnected to Redis at ${addressOf(client)}`);
      }
    });
    return;
  }
  const down = new Set<string>();
  client.on('node error', (error: Error, address: string) => {
    if (!down.has(address)) {
      down.add(address);
      logger.warn(`Redis Cluster node ${address}: ${error.message}; the Cluster looks for who serves its slots`);
    }
  });
  client.on('refresh', () => {
    for (const node of client.nodes('master')) {
      if (down.delete(addressOf(node))) {
        logger.log(`Redis Cluster node ${addressOf(node)} serves again`);
      }
    }
  });
}
