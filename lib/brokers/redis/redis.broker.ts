import { BeforeApplicationShutdown, Logger, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { QueueFullError } from '../../errors/index.js';
import type { ResolvedPistachioOptions } from '../../interfaces/index.js';
import { Broker, BrokerReceiveOptions } from '../broker.interface.js';
import { QueueLimits } from '../queue-limits.interface.js';
import { Waiters } from '../waiters.js';
import { BlockingReader } from './blocking-reader.js';
import { addressOf, connectRedis } from './redis-connection.js';
import { defineQueueScripts, QueueScripts } from './queue-scripts.js';

/**
 * Queues as Redis lists at `<namespace>:<endpoint>`, shared by every instance of the app. A waiting poll is an entry
 * in a local FIFO; a fixed pool of blocking connections BLPOPs the keys that have waiters here, each key on one
 * connection of the pool (by hash), so Redis connections stay 1 + `blockingConnections` however many polls wait.
 */
export class RedisBroker implements Broker, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('PistachioModule');
  private readonly waiters = new Waiters();
  private readonly scripts: QueueScripts;
  private readonly readers: BlockingReader[];

  private constructor(
    private readonly commands: Redis,
    blocking: Redis[],
    private readonly limits: QueueLimits,
  ) {
    this.scripts = defineQueueScripts(commands);
    const hooks = { isWanted: (key: string) => this.waiters.has(key), deliver: this.handOn.bind(this) };
    this.readers = blocking.map((connection) => new BlockingReader(connection, commands, hooks));
    for (const connection of [commands, ...blocking]) {
      connection.on('error', (error: Error) => this.logger.warn(`Redis connection error: ${error.message}`));
    }
  }

  /** Connects the command connection and the blocking pool; rejects with a RedisConnectionError if Redis is away. */
  static async connect(options: ResolvedPistachioOptions): Promise<RedisBroker> {
    const redis = options.redis!;
    const name = `pistachio:${options.namespace}`;
    const connecting = await Promise.allSettled([
      connectRedis(redis, { connectionName: `${name}:commands` }),
      ...Array.from({ length: options.blockingConnections }, () =>
        connectRedis(redis, {
          connectionName: `${name}:blocking`,
          // A BLPOP waits for as long as it blocks, and one re-sent after a reconnect would be a second reader.
          commandTimeout: undefined,
          maxRetriesPerRequest: null,
          autoResendUnfulfilledCommands: false,
        }),
      ),
    ]);
    const connected = connecting.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failure = connecting.find((result) => result.status === 'rejected');
    if (failure) {
      connected.forEach((connection) => connection.disconnect());
      throw failure.reason;
    }
    const [commands, ...blocking] = connected;
    new Logger('PistachioModule').log(`Namespace "${options.namespace}" runs on Redis at ${addressOf(commands)}`);
    return new RedisBroker(commands, blocking, options);
  }

  async publish(key: string, message: Buffer): Promise<void> {
    const { maxQueueLength, overflow, messageTtl } = this.limits;
    if ((await this.scripts.publishBounded(key, message, maxQueueLength, overflow, messageTtl)) < 0) {
      throw new QueueFullError(key, maxQueueLength);
    }
  }

  async receive(key: string, options: BrokerReceiveOptions): Promise<Buffer | null> {
    options.signal?.throwIfAborted();
    const deadline = Date.now() + options.timeout;
    // Straight from the queue when nobody here waits before us (they would be served first by the blocking reads).
    if (!this.waiters.has(key)) {
      const message = await this.commands.lpopBuffer(key);
      if (message) {
        if (options.signal?.aborted) {
          await this.requeue(key, message);
          options.signal.throwIfAborted();
        }
        return message;
      }
    }
    const waiting = this.waiters.wait(key, { ...options, timeout: Math.max(1, deadline - Date.now()) });
    this.readerOf(key).want(key);
    return waiting;
  }

  async requeue(key: string, message: Buffer): Promise<void> {
    if (!this.waiters.hand(key, message)) {
      await this.scripts.requeue(key, message, this.limits.messageTtl);
    }
  }

  async length(key: string): Promise<number> {
    return this.commands.llen(key);
  }

  /** Stops the blocking reads (a message one of them popped meanwhile goes back to its queue). */
  async beforeApplicationShutdown(): Promise<void> {
    await Promise.all(this.readers.map((reader) => reader.stop()));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.commands.quit();
  }

  private async handOn(key: string, message: Buffer): Promise<void> {
    try {
      await this.requeue(key, message);
    } catch (error) {
      this.logger.error(`A message popped from "${key}" could not be handed on and is lost`, error);
    }
  }

  private readerOf(key: string): BlockingReader {
    let hash = 0;
    for (let i = 0; i < key.length; i++) {
      hash = (hash * 31 + key.charCodeAt(i)) | 0;
    }
    return this.readers[Math.abs(hash) % this.readers.length];
  }
}
