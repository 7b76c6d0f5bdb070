import type { Logger } from '@nestjs/common';
import { PublishOutcomeUnknownError, QueueFullError } from '../../errors/index.js';
import { BrokerCommands, REDIS_WAIT_MS } from '../../redis/broker-commands.js';
import { DurableWrites, NotDurableError } from '../../redis/durable-writes.js';
import { wakeChannel } from '../../redis/key-layout.js';
import type { RedisCommands } from '../../redis/redis-client.js';
import { ReplyLostError, SingleSendConnection } from '../../redis/single-send-connection.js';
import { QueueLimits } from '../broker-settings.interface.js';
import { queueScripts } from './queue-scripts.js';

/** The commands of a queue broker that both delivery modes share. */
export class QueueCommands extends BrokerCommands {
  constructor(
    connection: SingleSendConnection,
    private readonly limits: QueueLimits,
    logger: Logger,
    /** With `durability`: where the writes go that replicas must confirm. */
    private readonly durable: DurableWrites | undefined,
  ) {
    super(connection, logger);
  }

  /** Appends a message to the queue within its bounds and wakes the instances that wait on it. */
  async publish(key: string, message: Buffer): Promise<void> {
    const { maxQueueLength, overflow, messageTtl } = this.limits;
    let length: number;
    try {
      length = await this.write(key, (client) =>
        queueScripts(client).publishBounded(key, message, maxQueueLength, overflow, messageTtl, wakeChannel(key)),
      );
    } catch (error) {
      throw error instanceof ReplyLostError || error instanceof NotDurableError
        ? new PublishOutcomeUnknownError(key)
        : this.failure(key, error);
    }
    if (length < 0) {
      throw new QueueFullError(key, maxQueueLength);
    }
  }

  /** Puts messages back at the head of the queue, in order. No time limit: shutdown ends the wait by closing. */
  async requeue(key: string, messages: Buffer[]): Promise<void> {
    await this.connection.sendWhenReady(
      (client) => queueScripts(client).requeue(key, this.limits.messageTtl, wakeChannel(key), ...messages),
      { key },
    );
  }

  /**
   * Sends a take for waiters now (NotSentError when the connection is down: the key is served again once it is back),
   * or, with `durability`, once replicas confirm it (see write).
   */
  take<T>(key: string, command: (client: RedisCommands) => Promise<T>): Promise<T> {
    return this.durable ? this.write(key, command) : this.connection.send(command, { key });
  }

  /** Sends a write that a failover must not lose: confirmed by replicas when the registration asks for `durability`. */
  private write<T>(key: string, command: (client: RedisCommands) => Promise<T>): Promise<T> {
    const options = { key, within: REDIS_WAIT_MS };
    return this.durable ? this.durable.write(command, options) : this.connection.sendWhenReady(command, options);
  }
}
