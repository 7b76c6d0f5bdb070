import { Logger } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import { RedisConnectionError, RedisVersionError } from '../../errors/index.js';
import type { PistachioModuleOptions, PistachioRedisClient, ResolvedPistachioOptions } from '../../interfaces/index.js';
import { importPeer } from '../../optional-peer.js';
import { SINGLE_SEND_OPTIONS } from './single-send-connection.js';

export type RedisOption = NonNullable<PistachioModuleOptions['redis']>;

/** Longest wait between two reconnection attempts, jitter included, so that polls are served soon after Redis is back. */
const MAX_RECONNECT_DELAY_MS = 200;
/** Spreads the reconnections of many instances to a Redis that comes back. */
const RECONNECT_JITTER_MS = 40;

/** Waits 25, 50, 100 ms… between attempts, never more than MAX_RECONNECT_DELAY_MS. */
export function reconnectPromptly(attempt: number): number {
  const backoff = Math.min(25 * 2 ** (attempt - 1), MAX_RECONNECT_DELAY_MS - RECONNECT_JITTER_MS);
  return backoff + Math.random() * RECONNECT_JITTER_MS;
}

/**
 * Opens a connection of the module's own, set up as the `redis` option says with `overrides` on top, and waits until
 * it is ready: start-up fails fast, naming the address, when Redis cannot be reached. It reconnects with
 * reconnectPromptly unless the app passed a client or a `retryStrategy` of its own.
 */
export async function connectRedis(redis: RedisOption, overrides: RedisOptions): Promise<Redis> {
  const { Redis } = await importPeer(() => import('ioredis'), 'ioredis', 'The "redis" option');
  // Keys are always `<namespace>:<endpoint>`: an ioredis keyPrefix would also rename the keys BLPOP answers with.
  const settings: RedisOptions = { ...overrides, keyPrefix: undefined, lazyConnect: true };
  const connection = isClient(redis)
    ? (redis as Redis).duplicate(settings)
    : typeof redis === 'string'
      ? new Redis(redis, { retryStrategy: reconnectPromptly, ...settings })
      : new Redis({ retryStrategy: reconnectPromptly, ...redis, ...settings });
  let cause: unknown;
  const remember = (error: unknown) => (cause = error);
  connection.on('error', remember);
  // The first attempt decides (retries would only delay a failing start); the retry strategy applies after.
  const { retryStrategy } = connection.options;
  connection.options.retryStrategy = () => null;
  try {
    await connection.connect();
  } catch (error) {
    throw new RedisConnectionError(addressOf(connection), cause ?? error);
  } finally {
    connection.options.retryStrategy = retryStrategy;
    connection.off('error', remember);
  }
  return connection;
}

/**
 * Opens a broker's connections: its commands connection (first), then one for each of `others`, named after the
 * namespace. Fails with the first error, closing what did open, when Redis is away or older than 7.0.
 */
export async function connectBroker(options: ResolvedPistachioOptions, others: RedisOptions[]): Promise<[Redis, ...Redis[]]> {
  const redis = options.redis!;
  const name = `pistachio:${options.namespace}`;
  const connecting = await Promise.allSettled(
    [{ ...SINGLE_SEND_OPTIONS, connectionName: 'commands' }, ...others].map((overrides) =>
      connectRedis(redis, { ...overrides, connectionName: overrides.connectionName && `${name}:${overrides.connectionName}` }),
    ),
  );
  const connected = connecting.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  const failure = connecting.find((result) => result.status === 'rejected');
  try {
    if (failure) {
      throw failure.reason;
    }
    await assertRedisVersion(connected[0]);
  } catch (error) {
    connected.forEach((connection) => connection.disconnect());
    throw error;
  }
  new Logger('PistachioModule').log(`Namespace "${options.namespace}" runs on Redis at ${addressOf(connected[0])}`);
  return connected as [Redis, ...Redis[]];
}

/** Logs the first error of an outage and the end of it, not every failed reconnection attempt. */
export function reportOutages(connection: Redis, logger: Logger): void {
  let down = false;
  connection.on('error', (error: Error) => {
    if (!down) {
      down = true;
      logger.warn(`Redis connection error: ${error.message}; reconnecting`);
    }
  });
  connection.on('ready', () => {
    if (down) {
      down = false;
      logger.log(`Reconnected to Redis at ${addressOf(connection)}`);
    }
  });
}

/** Rejects with a RedisVersionError when Redis is older than 7.0 (the module's scripts declare flags, a 7.0 feature). */
export async function assertRedisVersion(connection: Redis): Promise<void> {
  const info = await connection.info('server');
  const version = /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'an unknown version';
  if (!(Number.parseInt(version, 10) >= 7)) {
    throw new RedisVersionError(addressOf(connection), version);
  }
}

export function addressOf(connection: Redis): string {
  const { path, host, port } = connection.options;
  return path ?? `${host}:${port}`;
}

function isClient(redis: RedisOption): redis is PistachioRedisClient {
  return typeof (redis as PistachioRedisClient).duplicate === 'function';
}
