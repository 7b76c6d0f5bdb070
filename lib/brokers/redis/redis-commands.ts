import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { RedisOutOfMemoryError, RedisUnavailableError, WrongKeyTypeError } from '../../errors/index.js';
import { addressOf } from './redis-connection.js';
import { isOutOfMemory, isWrongType } from './redis-replies.js';
import { ReplyLostError, SingleSendConnection } from './single-send-connection.js';

/** How long a publish or a read waits for a connection to Redis before it gives up with a RedisUnavailableError. */
export const REDIS_WAIT_MS = 10_000;

/** The commands connection of a Redis broker, with the module's own errors for what Redis answers. */
export class RedisCommands {
  readonly connection: SingleSendConnection;
  /** Keys found holding another type than the broker's, logged once each. */
  private readonly foreignKeys = new Set<string>();

  constructor(
    redis: Redis,
    private readonly logger: Logger,
  ) {
    this.connection = new SingleSendConnection(redis);
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
