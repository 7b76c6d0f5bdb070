import type { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { PublishOutcomeUnknownError, QueueFullError } from '../../errors/index.js';
import { QueueLimits } from '../broker-settings.interface.js';
import { defineQueueScripts, QueueScripts } from './queue-scripts.js';
import { RedisCommands, REDIS_WAIT_MS } from './redis-commands.js';
import { ReplyLostError } from './single-send-connection.js';

/** The commands connection of a queue broker, with the queue operations both delivery modes share. */
export class QueueCommands extends RedisCommands {
  private readonly scripts: QueueScripts;

  constructor(
    redis: Redis,
    private readonly limits: QueueLimits,
    logger: Logger,
  ) {
    super(redis, logger);
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
}
