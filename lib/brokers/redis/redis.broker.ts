import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { WrongKeyTypeError } from '../../errors/index.js';
import type { Delivery, ResolvedPistachioOptions } from '../../interfaces/index.js';
import type { BrokerEvents } from '../../monitoring/delivery-events.interface.js';
import type { BrokerStats } from '../../monitoring/pistachio-stats.interface.js';
import { Broker, BrokerHealth, BrokerReceiveOptions } from '../broker.interface.js';
import { QueueLimits } from '../broker-settings.interface.js';
import { Waiters } from '../waiters.js';
import { importPeer } from '../../optional-peer.js';
import type { CommandClass } from './blocking-pop.js';
import { BlockingReader } from './blocking-reader.js';
import { QueueCommands } from './queue-commands.js';
import { connectBroker, reportOutages } from './redis-connection.js';
import { redisHealth, redisStats, RoledConnections } from './redis-health.js';
import { settleBy } from './settle-by.js';
import { NotSentError, ReplyLostError, SINGLE_SEND_OPTIONS, SingleSendConnection } from './single-send-connection.js';

/**
 * At-most-once queues as Redis lists at `<namespace>:<endpoint>`, shared by every instance of the app. A waiting poll
 * is an entry in a local FIFO; a fixed pool of blocking connections BLPOPs the keys that have waiters here, each key on
 * one connection of the pool (by hash), so Redis connections stay 1 + `blockingConnections` however many polls wait.
 * Every connection sends a command once at most (see SingleSendConnection): a reconnect never runs one twice.
 */
export class RedisBroker implements Broker {
  readonly mode = 'queue';
  private readonly logger = new Logger(RedisBroker.name);
  private readonly waiters = new Waiters<Delivery[]>();
  private readonly commands: QueueCommands;
  private readonly readers: BlockingReader[];
  private readonly connections: RoledConnections;

  private constructor(
    commands: Redis,
    blocking: Redis[],
    Command: CommandClass,
    limits: QueueLimits,
    private readonly events: BrokerEvents,
  ) {
    this.commands = new QueueCommands(commands, limits, this.logger);
    this.connections = {
      commands: this.commands.connection,
      others: blocking.map((redis) => ({ role: 'blocking' as const, redis })),
    };
    const hooks = {
      isWanted: (key: string) => this.waiters.has(key),
      deliver: (key: string, message: Buffer) => this.handOn(key, [message]),
      refuse: (key: string, error: WrongKeyTypeError) => this.waiters.fail(key, this.commands.foreign(error)),
    };
    this.readers = blocking.map(
      (connection) =>
        new BlockingReader(new SingleSendConnection(connection), Command, this.commands.connection, hooks),
    );
    [commands, ...blocking].forEach((connection) => reportOutages(connection, this.logger));
  }

  /** Connects the command connection and the blocking pool; rejects with a RedisConnectionError if Redis is away. */
  static async connect(options: ResolvedPistachioOptions, events: BrokerEvents): Promise<RedisBroker> {
    const [commands, ...blocking] = await connectBroker(
      options,
      // A BLPOP waits for as long as it blocks: no command timeout.
      Array.from({ length: options.blockingConnections }, () => ({
        ...SINGLE_SEND_OPTIONS,
        connectionName: 'blocking',
        commandTimeout: undefined,
      })),
    );
    const { Command } = await importPeer(() => import('ioredis'), 'ioredis', 'The "redis" option');
    return new RedisBroker(commands, blocking, Command, options, events);
  }

  publish(key: string, message: Buffer): Promise<void> {
    return this.commands.publish(key, message);
  }

  async receive(key: string, options: BrokerReceiveOptions): Promise<Delivery[]> {
    options.signal?.throwIfAborted();
    const deadline = Date.now() + options.timeout;
    // Straight from the queue when nobody here waits before us (they would be served first by the blocking reads),
    // and when Redis is there: a poll never waits for a reconnect longer than its timeout.
    if (!this.waiters.has(key) && this.commands.connection.ready) {
      const messages = await this.popBy(key, options.max, deadline);
      if (messages.length > 0) {
        return this.received(key, messages, options.signal);
      }
    }
    const waiting = this.waiters.wait(key, { ...options, timeout: Math.max(1, deadline - Date.now()) });
    const reader = this.readerOf(key);
    reader.want(key);
    let first: Delivery[] | null;
    try {
      first = await waiting;
    } finally {
      reader.release(key);
    }
    if (!first) {
      return [];
    }
    // A batch takes what is queued already behind the first message.
    const more = options.max > 1 && deadline > Date.now() ? await this.popBy(key, options.max - 1, deadline) : [];
    return this.received(key, [...first.map(({ message }) => message), ...more], options.signal);
  }

  async requeue(key: string, messages: Buffer[]): Promise<void> {
    const rest = this.waiters.handOut(key, messages, delivered);
    if (rest.length > 0) {
      await this.commands.requeue(key, rest);
    }
  }

  length(key: string): Promise<number> {
    return this.commands.idempotent(key, (redis) => redis.llen(key));
  }

  stats(): BrokerStats {
    return redisStats(this.connections);
  }

  /** Up when Redis answers a PING in time and every blocking connection is ready to read. */
  health(): Promise<BrokerHealth> {
    return redisHealth(this.connections);
  }

  /** Stops the blocking reads (a message one of them popped meanwhile goes back to its queue), then disconnects. */
  async close(): Promise<void> {
    await Promise.all(this.readers.map((reader) => reader.stop()));
    await this.commands.close();
  }

  /** Popped messages as deliveries; given back when their receive was aborted meanwhile. */
  private async received(key: string, messages: Buffer[], signal?: AbortSignal): Promise<Delivery[]> {
    if (signal?.aborted && messages.length > 0) {
      await this.requeue(key, messages);
      signal.throwIfAborted();
    }
    return delivered(messages);
  }

  /**
   * LPOP of up to `count`, or nothing when its answer comes after `deadline` (a paused or slow Redis): what it brings
   * then is handed on like what the blocking reads popped.
   */
  private async popBy(key: string, count: number, deadline: number): Promise<Buffer[]> {
    const popped = await settleBy(this.pop(key, count), deadline, (late) => late.length > 0 && this.handOn(key, late));
    return popped ?? [];
  }

  /** LPOP; nothing also when the reply was lost with its connection (logged: what it popped is gone). */
  private async pop(key: string, count: number): Promise<Buffer[]> {
    try {
      return (await this.commands.connection.send((redis) => redis.lpopBuffer(key, count))) ?? [];
    } catch (error) {
      if (error instanceof ReplyLostError) {
        this.logger.warn(`The Redis connection dropped during a pop from "${key}"; what it popped then is lost`);
        return [];
      }
      if (error instanceof NotSentError) {
        // The connection dropped just now: the poll waits for the blocking reads instead.
        return [];
      }
      throw this.commands.failure(key, error);
    }
  }

  private async handOn(key: string, messages: Buffer[]): Promise<void> {
    try {
      await this.requeue(key, messages);
    } catch (error) {
      this.logger.error(`Messages popped from "${key}" could not be handed on and are lost`, error);
      this.events.lost(messages.length);
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

function delivered(messages: Buffer[]): Delivery[] {
  return messages.map((message) => ({ message, deliveryCount: 1 }));
}
