import type { Redis, RedisOptions } from 'ioredis';
import { RedisConnectionError } from '../../errors/index.js';
import type { PistachioModuleOptions } from '../../interfaces/index.js';

export type RedisOption = NonNullable<PistachioModuleOptions['redis']>;

/**
 * Opens a connection of the module's own, set up as the `redis` option says with `overrides` on top, and waits until
 * it is ready: start-up fails fast, naming the address, when Redis cannot be reached.
 */
export async function connectRedis(redis: RedisOption, overrides: RedisOptions): Promise<Redis> {
  const { Redis } = await import('ioredis');
  // Keys are always `<namespace>:<endpoint>`: an ioredis keyPrefix would also rename the keys BLPOP answers with.
  const settings: RedisOptions = { ...overrides, keyPrefix: undefined, lazyConnect: true };
  const connection = isClient(redis)
    ? redis.duplicate(settings)
    : typeof redis === 'string'
      ? new Redis(redis, settings)
      : new Redis({ ...redis, ...settings });
  let cause: unknown;
  const remember = (error: unknown) => (cause = error);
  connection.on('error', remember);
  // The first attempt decides (retries would only delay a failing start); the app's retry strategy applies after.
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

export function addressOf(connection: Redis): string {
  const { path, host, port } = connection.options;
  return path ?? `${host}:${port}`;
}

function isClient(redis: RedisOption): redis is Redis {
  return typeof (redis as Redis).duplicate === 'function';
}
