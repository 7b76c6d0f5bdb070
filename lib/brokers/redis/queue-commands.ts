import type { Logger } from '@nestjs/common';
import { QueueFullError } from '../../errors/index.js';
import { BrokerCommands } from '../../redis/broker-commands.js';
import type { DurableWrites } from '../../redis/durable-writes.js';
import { companionKey, wakeChannel } from '../../redis/key-layout.js';
import type { RedisCommands } from '../../redis/redis-client.js';
import type { SingleSendConnection } from '../../redis/single-send-connection.js';
import { QueueLimits } from '../broker-settings.interface.js';
import type { PublishOptions } from '../../interfaces/index.js';
import { delayedKeys, delayedScripts } from './delayed-scripts.js';
import { expiriesKey } from './expiry-scripts.js';
import { FULL, queueScripts, REPEATED } from './queue-scripts.js';

/** The commands of a queue broker that both delivery modes share. */
export class QueueCommands extends BrokerCommands {
  constructor(
    connection: SingleSendConnection,
    private readonly limits: QueueLimits,
    logger: Logger,
    durable: DurableWrites | undefined,
  ) {
    super(connection, logger, durable);
  }

  /**
   * Appends a message to the queue within its bounds and wakes the instances that wait on it, or with a `delay` keeps
   * it beside the queue until due, recording its expiry with a `ttl`; false, storing nothing, for a `deduplicationId`
   * that the key's `#deduplication` set holds still.
   */
  async publish(key: string, message: Buffer, { deduplicationId = '', delay = 0, ttl = 0 }: PublishOptions): Promise<boolean> {
    const { maxQueueLength, overflow, messageTtl, deduplicationWindow } = this.limits;
    const delayed = delayedKeys(key);
    const length = await this.append(key, (client) =>
      queueScripts(client).publishBounded(
        key,
        companionKey(key, 'deduplication'),
        delayed.due,
        delayed.messages,
        expiriesKey(key),
        message,
        maxQueueLength,
        overflow,
        messageTtl,
        wakeChannel(key),
        deduplicationId,
        deduplicationWindow,
        delay,
        ttl,
      ),
    );
    if (length === FULL) {
      throw new QueueFullError(key, maxQueueLength);
    }
    return length !== REPEATED;
  }

  /**
   * Moves the delayed messages of `key` that came due to its tail and wakes the instances that wait on it; answers in
   * how many milliseconds the next one is due, -1 for none.
   */
  promote(key: string): Promise<number> {
    const { due, messages } = delayedKeys(key);
    return this.idempotent(key, (client) =>
      delayedScripts(client).promote(key, due, messages, expiriesKey(key), this.limits.messageTtl, wakeChannel(key)),
    );
  }

  /**
   * Puts messages back at the head of the queue, in order, each with its expiry (`expiresAt`, Redis time; none when
   * absent or 0). No time limit: shutdown ends the wait by closing.
   */
  async requeue(key: string, messages: Buffer[], expiresAt: number[] = []): Promise<void> {
    const withExpiries = messages.flatMap((message, i) => [message, expiresAt[i] ?? 0]);
    await this.connection.sendWhenReady(
      (client) => queueScripts(client).requeue(key, expiriesKey(key), this.limits.messageTtl, wakeChannel(key), ...withExpiries),
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
}
