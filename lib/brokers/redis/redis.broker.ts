import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  PublishOutcomeUnknownError,
  QueueFullError,
  RedisOutOfMemoryError,
  RedisUnavailableError,
  WrongKeyTypeError,
} from '../../errors/index.js';
import type { ResolvedPistachioOptions } from '../../interfaces/index.js';
import { Broker, BrokerReceiveOptions } from '../broker.interface.js';
import { QueueLimits } from '../queue-limits.interface.js';
import { Waiters } from '../waiters.js';
import { BlockingReader } from './blocking-reader.js';
import { addressOf, assertRedisVersion, connectRedis } from './redis-connection.js';
import { isOutOfMemory, isWrongType } from './redis-replies.js';
import { defineQueueScripts, QueueScripts } from './queue-scripts.js';
import { NotSentError, ReplyLostError, SINGLE_SEND_OPTIONS, SingleSendConnection } from './single-send-connection.js';

/** How long a publish or a length waits for a connection to Redis before it gives up with a RedisUnavailableError. */
const REDIS_WAIT_MS = 10_000;

/**
 * Queues as Redis lists at `<namespace>:<endpoint>`, shared by every instance of the app. A waiting poll is an entry
 * in a local FIFO; a fixed pool of blocking connections BLPOPs the keys that have waiters here, each key on one
 * connection of the pool (by hash), so Redis connections stay 1 + `blockingConnections` however many polls wait.
 * Every connection sends a command once at most (see SingleSendConnection): a reconnect never runs one twice.
 */
export class RedisBroker implements Broker {
  private readonly logger = new Logger(RedisBroker.name);
  private readonly waiters = new Waiters();
  private readonly scripts: QueueScripts;
  private readonly commands: SingleSendConnection;
  private readonly readers: BlockingReader[];
  /** Keys found holding another type than a list, logged once each. */
  private readonly foreignKeys = new Set<string>();

  private constructor(
    commands: Redis,
    blocking: Redis[],
    private readonly limits: QueueLimits,
  ) {
    this.scripts = defineQueueScripts(commands);
    this.commands = new SingleSendConnection(commands);
    const hooks = {
      isWanted: (key: string) => this.waiters.has(key),
      deliver: this.handOn.bind(this),
      refuse: (key: string, error: WrongKeyTypeError) => this.waiters.fail(key, this.foreign(error)),
    };
    this.readers = blocking.map((connection) => new BlockingReader(new SingleSendConnection(connection), this.commands, hooks));
    [commands, ...blocking].forEach((connection) => this.reportOutages(connection));
  }

  /** Connects the command connection and the blocking pool; rejects with a RedisConnectionError if Redis is away. */
  static async connect(options: ResolvedPistachioOptions): Promise<RedisBroker> {
    const redis = options.redis!;
    const name = `pistachio:${options.namespace}`;
    const connecting = await Promise.allSettled([
      connectRedis(redis, { ...SINGLE_SEND_OPTIONS, connectionName: `${name}:commands` }),
      ...Array.from({ length: options.blockingConnections }, () =>
        connectRedis(redis, {
          ...SINGLE_SEND_OPTIONS,
          connectionName: `${name}:blocking`,
          // A BLPOP waits for as long as it blocks.
          commandTimeout: undefined,
        }),
      ),
    ]);
    const connected = connecting.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failure = connecting.find((result) => result.status === 'rejected');
    const [commands, ...blocking] = connected;
    try {
      if (failure) {
        throw failure.reason;
      }
      await assertRedisVersion(commands);
    } catch (error) {
      connected.forEach((connection) => connection.disconnect());
      throw error;
    }
    new Logger('PistachioModule').log(`Namespace "${options.namespace}" runs on Redis at ${addressOf(commands)}`);
    return new RedisBroker(commands, blocking, options);
  }

  async publish(key: string, message: Buffer): Promise<void> {
    const { maxQueueLength, overflow, messageTtl } = this.limits;
    let length: number;
    try {
      length = await this.commands.sendWhenReady(
        () => this.scripts.publishBounded(key, message, maxQueueLength, overflow, messageTtl),
        { within: REDIS_WAIT_MS },
      );
    } catch (error) {
      throw error instanceof ReplyLostError ? new PublishOutcomeUnknownError(key) : this.failure(key, error);
    }
    if (length < 0) {
      throw new QueueFullError(key, maxQueueLength);
    }
  }

  async receive(key: string, options: BrokerReceiveOptions): Promise<Buffer | null> {
    options.signal?.throwIfAborted();
    const deadline = Date.now() + options.timeout;
    // Straight from the queue when nobody here waits before us (they would be served first by the blocking reads),
    // and when Redis is there: a poll never waits for a reconnect longer than its timeout.
    if (!this.waiters.has(key) && this.commands.ready) {
      const message = await this.popBy(key, deadline);
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
      // No time limit: the message is in this process only, and shutdown ends the wait by closing the connection.
      await this.commands.sendWhenReady(() => this.scripts.requeue(key, message, this.limits.messageTtl));
    }
  }

  async length(key: string): Promise<number> {
    for (;;) {
      try {
        return await this.commands.sendWhenReady((redis) => redis.llen(key), { within: REDIS_WAIT_MS });
      } catch (error) {
        // A read, so asking again is harmless.
        if (!(error instanceof ReplyLostError)) {
          throw this.failure(key, error);
        }
      }
    }
  }

  /** Stops the blocking reads (a message one of them popped meanwhile goes back to its queue), then disconnects. */
  async close(): Promise<void> {
    await Promise.all(this.readers.map((reader) => reader.stop()));
    await this.commands.close();
  }

  /**
   * LPOP, or `null` when its answer comes after `deadline` (a paused or slow Redis): a message it brings then is handed
   * on like one the blocking reads popped.
   */
  private async popBy(key: string, deadline: number): Promise<Buffer | null> {
    const popping = this.pop(key);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, deadline - Date.now(), 'late')));
    const popped = await Promise.race([popping, late]).finally(() => clearTimeout(timer));
    if (popped !== 'late') {
      return popped;
    }
    void popping.then((message) => message && this.handOn(key, message), () => undefined);
    return null;
  }

  /** LPOP; `null` also when the reply was lost with its connection (logged: a message it popped is gone). */
  private async pop(key: string): Promise<Buffer | null> {
    try {
      return await this.commands.send((redis) => redis.lpopBuffer(key));
    } catch (error) {
      if (error instanceof ReplyLostError) {
        this.logger.warn(`The Redis connection dropped during a pop from "${key}"; a message it popped then is lost`);
        return null;
      }
      if (error instanceof NotSentError) {
        // The connection dropped just now: the poll waits for the blocking reads instead.
        return null;
      }
      throw this.failure(key, error);
    }
  }

  /** The module's own error for what Redis or the connection answered to a command on `key`. */
  private failure(key: string, error: unknown): unknown {
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      return new RedisUnavailableError(addressOf(this.commands.redis), REDIS_WAIT_MS);
    }
    if (isOutOfMemory(error)) {
      return new RedisOutOfMemoryError(key, error);
    }
    return isWrongType(error) ? this.foreign(new WrongKeyTypeError(key)) : error;
  }

  /** Logs a key of another type the first time it is met, and answers the error. */
  private foreign(error: WrongKeyTypeError): WrongKeyTypeError {
    if (!this.foreignKeys.has(error.key)) {
      this.foreignKeys.add(error.key);
      this.logger.error(error.message);
    }
    return error;
  }

  /** Logs the first error of an outage and the end of it, not every failed reconnection attempt. */
  private reportOutages(connection: Redis): void {
    let down = false;
    connection.on('error', (error: Error) => {
      if (!down) {
        down = true;
        this.logger.warn(`Redis connection error: ${error.message}; reconnecting`);
      }
    });
    connection.on('ready', () => {
      if (down) {
        down = false;
        this.logger.log(`Reconnected to Redis at ${addressOf(connection)}`);
      }
    });
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
