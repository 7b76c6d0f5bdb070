import { Logger } from '@nestjs/common';
import { PublishOutcomeUnknownError, RedisOutOfMemoryError, RedisUnavailableError, WrongKeyTypeError } from '../errors/index.js';
import { describe } from './connect-redis.js';
import { type DurableWrites, NotDurableError } from './durable-writes.js';
import type { RedisCommands } from './redis-client.js';
import { isOutOfMemory, isWrongType } from './redis-replies.js';
import { ReplyLostError, SingleSendConnection } from './single-send-connection.js';

/** How long a publish or a read waits for a connection to Redis before it gives up with a RedisUnavailableError. */
export const REDIS_WAIT_MS = 10_000;

/**
 * The commands connection of a Redis broker, with the module's own errors for what Redis answers, and (with
 * `durability`) the writes that replicas must confirm.
 */
export class BrokerCommands {
  /** Keys found holding another type than the broker's, logged once each. */
  private readonly foreignKeys = new Set<string>();

  constructor(
    readonly connection: SingleSendConnection,
    private readonly logger: Logger,
    /** With `durability`: where the writes go that replicas must confirm. */
    protected readonly durable: DurableWrites | undefined,
  ) {}

  /**
   * Sends a publish's append (see write); one whose outcome is unknown (its reply lost, or too few replicas confirmed
   * it) rejects with PublishOutcomeUnknownError.
   */
  async append<T>(key: string, command: (client: RedisCommands) => Promise<T>): Promise<T> {
    try {
      return await this.write(key, command);
    } catch (error) {
      throw error instanceof ReplyLostError || error instanceof NotDurableError ? new PublishOutcomeUnknownError(key) : this.failure(key, error);
    }
  }

  /** Sends a write that a failover must not lose: confirmed by replicas when the registration asks for `durability`. */
  protected write<T>(key: string, command: (client: RedisCommands) => Promise<T>): Promise<T> {
    const options = { key, within: REDIS_WAIT_MS };
    return this.durable ? this.durable.write(command, options) : this.connection.sendWhenReady(command, options);
  }

  /** Sends a command on `key` whose effect is the same when run twice (a read), again if its reply was lost. */
  async idempotent<T>(key: string, command: (client: RedisCommands) => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await this.connection.sendWhenReady(command, { key, within: REDIS_WAIT_MS });
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
      return new RedisUnavailableError(describe(this.connection.client), REDIS_WAIT_MS);
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
}
