import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  PublishOutcomeUnknownError,
  QueueFullError,
  RedisOutOfMemoryError,
  RedisUnavailableError,
  WrongKeyTypeError,
} from '../../errors/index.js';
import { QueueLimits } from '../broker-settings.interface.js';
import { defineQueueScripts, QueueScripts } from './queue-scripts.js';
import { addressOf } from './redis-connection.js';
import { isOutOfMemory, isWrongType } from './redis-replies.js';
import { ReplyLostError, SingleSendConnection } from './single-send-connection.js';

/** How long a publish or a length waits for a connection to Redis before it gives up with a RedisUnavailableError. */
export const REDIS_WAIT_MS = 10_000;

/**
 * The commands connection of a Redis broker, with the queue operations both delivery modes share and the module's
 * own errors for what Redis answers.
 */
export class QueueCommands {
  readonly connection: SingleSendConnection;
  private readonly scripts: QueueScripts;
  /** Keys found holding another type than a list, logged once each. */
  private readonly foreignKeys = new Set<string>();

  constructor(
    redis: Redis,
    private readonly limits: QueueLimits,
    private readonly logger: Logger,
  ) {
    this.connection = new SingleSendConnection(redis);
    this.scripts = defineQueueScripts(redis);
  }

  /** Appends a message to the queue within its bounds; with `wake`, notifies that channel's subscribers. */
  async publish(key: string, message: Buffer, wake?: string): Promise<void> {
    const { maxQueueLength, overflow, messageTtl } = this.limits;
    let length: number;
    try {
      length = await this.connection.sendWhenReady(
        () => this.scripts.publishBounded(key, message, maxQueueLength, overflow, messageTtl, ...(wake ? [wake] : [])),
        { within: REDIS_WAIT_MS },
      );
    } catch (error) {
      throw error instanceof ReplyLostError ? new PublishOutcomeUnknownError(key) : this.failure(key, error);
    }
    if (length < 0) {
      throw new QueueFullError(key, maxQueueLength);
    }
  }

  /** Puts messages back at the head of the queue, in order. No time limit: shutdown ends the wait by closing. */
  async requeue(key: string, messages: Buffer[]): Promise<void> {
    await this.connection.sendWhenReady(() => this.scripts.requeue(key, this.limits.messageTtl, ...messages));
  }

  /** Sends a command whose effect is the same when run twice (a read), again if its reply was lost. */
  async idempotent<T>(key: string, command: (redis: Redis) => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await this.connection.sendWhenReady(command, { within: REDIS_WAIT_MS });
      } catch (error) {
        if (!(error instanceof ReplyLostError)) {
          throw this.failure(key, error);
        }
      }
    }
  }

  /** The module's own error for what Redis or the connection answered to a command on `key`. */
  failure(key: string, error: unknown): unknown {
    if (error instanceof DOMException && error.name === 'TimeoutError') {
      return new RedisUnavailableError(addressOf(this.connection.redis), REDIS_WAIT_MS);
    }
    if (isOutOfMemory(error)) {
      return new RedisOutOfMemoryError(key, error);
    }
    return isWrongType(error) ? this.foreign(new WrongKeyTypeError(key)) : error;
  }

  /** Logs a key of another type the first time it is met, and answers the error. */
  foreign(error: WrongKeyTypeError): WrongKeyTypeError {
    if (!this.foreignKeys.has(error.key)) {
      this.foreignKeys.add(error.key);
      this.logger.error(error.message);
    }
    return error;
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}
