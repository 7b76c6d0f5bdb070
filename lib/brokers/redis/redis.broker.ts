import { WrongKeyTypeError } from '../../errors/index.js';
import type { Delivery, ResolvedPistachioOptions } from '../../interfaces/index.js';
import type { BrokerEvents } from '../../monitoring/delivery-events.interface.js';
import { DeploymentBroker, DeploymentShare } from '../../redis/deployment-broker.js';
import { NotDurableError } from '../../redis/durable-writes.js';
import type { RedisCommands } from '../../redis/redis-client.js';
import type { RedisDeployments } from '../../redis/redis-deployments.js';
import { isWrongType } from '../../redis/redis-replies.js';
import { NotSentError, ReplyLostError } from '../../redis/single-send-connection.js';
import { Broker, BrokerReceiveOptions } from '../broker.interface.js';
import { HandedOutExpiries } from '../handed-out-expiries.js';
import { delayedKeys } from './delayed-scripts.js';
import { expiriesKey } from './expiry-scripts.js';
import { QUEUED, queueScripts } from './queue-scripts.js';
import { RedisQueueBroker } from './redis-queue-broker.js';
import { Taken } from './waited-keys.js';

/**
 * At-most-once queues as Redis lists at `<namespace>:<endpoint>`, shared by every instance of the app. A waiting poll
 * is an entry in a local FIFO (see WaitedKeys); a publish wakes the instances that wait on the key, and each pops for
 * its oldest waiter. Every command is sent once at most (see SingleSendConnection): a reconnect never runs one twice.
 */
export class RedisBroker extends RedisQueueBroker<Buffer> implements Broker {
  private readonly expiries = new HandedOutExpiries();

  private constructor(
    share: DeploymentShare,
    private readonly limits: ResolvedPistachioOptions,
    private readonly events: BrokerEvents,
  ) {
    super(share, limits, QUEUED);
  }

  /** Connects (or shares) the deployment; rejects with the module's error if Redis is away or unfit. */
  static connect(options: ResolvedPistachioOptions, events: BrokerEvents, deployments: RedisDeployments): Promise<RedisBroker> {
    return DeploymentBroker.open(options, deployments, (share) => new RedisBroker(share, options, events));
  }

  /**
   * Straight from the queue when nobody here waits before us and it may hold something (a client working through a
   * backlog: no waiter, no timer); else in line for the wake-ups. A pop answered after the poll's timeout (a paused
   * Redis) hands what it took on, like a pop for a waiter that has gone.
   */
  async receive(key: string, options: BrokerReceiveOptions): Promise<Delivery[]> {
    options.signal?.throwIfAborted();
    const deadline = Date.now() + options.timeout;
    const first = this.mayTakeFirst(key);
    const place = this.keys.arrive(key);
    try {
      let wokenMeanwhile = false;
      if (first) {
        const own = await this.takeOwn(key, options.max, deadline);
        wokenMeanwhile = own.wokenMeanwhile;
        if (own.taken.length > 0) {
          if (options.signal?.aborted) {
            await this.giveBack(key, own.taken);
            options.signal.throwIfAborted();
          }
          return this.deliveries(own.taken);
        }
      }
      const waiting = { ...options, timeout: Math.max(1, deadline - Date.now()), serveNow: wokenMeanwhile };
      return this.deliveries((await place.wait(waiting)) ?? []);
    } finally {
      place.leave();
    }
  }

  protected deliveries(messages: Buffer[]): Delivery[] {
    return messages.map((message) => ({ message, deliveryCount: 1 }));
  }

  /**
   * To this instance's waiters of the key first, oldest first, then back to the head of the queue, each with the expiry
   * it was popped with; those whose ttl passed meanwhile (by this instance's clock) are dropped and counted.
   */
  async requeue(key: string, messages: Buffer[]): Promise<void> {
    const now = Date.now();
    const live = messages.filter((message) => !this.expiries.passed(message, now));
    if (live.length < messages.length) {
      this.events.expired(messages.length - live.length);
    }
    const rest = this.keys.waiters.handOut(key, live, (taken) => taken);
    if (rest.length > 0) {
      await this.commands.requeue(key, rest, rest.map((message) => this.expiries.of(message)));
      this.keys.refilled(key);
    }
  }

  length(key: string): Promise<number> {
    return this.commands.idempotent(key, (client) => queueScripts(client).dueLength(key, delayedKeys(key).due));
  }

  /**
   * Pops up to `count` with the pop script, which brings in the delayed messages that came due first and drops (and
   * counts) those whose ttl passed. Nothing when the reply was lost with its connection (logged: what it popped is
   * gone). With `durability`, a pop that too few replicas confirmed goes back to the head of the queue (a failover could
   * undo it, and its messages would be delivered twice), and the take fails.
   */
  protected async take(key: string, count: number): Promise<Taken<Buffer>> {
    const { due, messages } = delayedKeys(key);
    const pop = (client: RedisCommands) => queueScripts(client).popBuffer(key, due, messages, expiriesKey(key), count, this.limits.messageTtl);
    try {
      return this.popped(await this.commands.take(key, pop));
    } catch (error) {
      if (error instanceof ReplyLostError) {
        this.logger.warn(`The Redis connection dropped during a pop from "${key}"; what it popped then is lost`);
        return { taken: [], emptied: false };
      }
      if (error instanceof NotDurableError) {
        const { taken } = this.popped(error.written as PopReply);
        if (taken.length > 0) {
          await this.commands.requeue(key, taken, taken.map((message) => this.expiries.of(message)));
        }
      }
      throw error;
    }
  }

  /** What a pop took, each tagged with its expiry, with the messages it dropped as expired counted. */
  private popped([messages, expiresAt, left, expired]: PopReply): Taken<Buffer> {
    if (expired > 0) {
      this.events.expired(expired);
    }
    messages.forEach((message, i) => this.expiries.tag(message, expiresAt[i] ?? 0));
    return { taken: messages, emptied: left === 0 };
  }

  protected takeFailed(key: string, error: unknown): void {
    if (error instanceof NotSentError) {
      return; // The connection is down: the key is served again once it is back.
    }
    if (isWrongType(error)) {
      void this.commands
        .idempotent(key, (client) => client.type(key))
        .catch(() => undefined)
        .then((type) => this.keys.waiters.fail(key, this.commands.foreign(new WrongKeyTypeError(key, type))));
      return;
    }
    const given = error instanceof NotDurableError ? 'given back' : 'tried again';
    this.logger.warn(`A pop from "${key}" failed and is ${given}: ${(error as Error).message}`);
  }

  /** Gives back what was popped for a waiter that had gone: to the next waiter here, else to the head of its queue. */
  protected async giveBack(key: string, messages: Buffer[]): Promise<void> {
    try {
      await this.requeue(key, messages);
    } catch (error) {
      this.logger.error(`Messages popped from "${key}" could not be handed on and are lost`, error);
      this.events.lost(messages.length);
    }
  }
}

/** What the pop script answers. */
type PopReply = [messages: Buffer[], expiresAt: number[], left: number, expired: number];
