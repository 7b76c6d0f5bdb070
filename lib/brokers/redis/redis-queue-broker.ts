import type { Delivery, PublishOptions } from '../../interfaces/index.js';
import { DeploymentBroker, DeploymentShare } from '../../redis/deployment-broker.js';
import { KeySweep, SweepTest } from '../../redis/key-sweep.js';
import { settleBy } from '../../redis/settle-by.js';
import type { BrokerReceiveOptions } from '../broker.interface.js';
import { QueueLimits } from '../broker-settings.interface.js';
import { KeyedDelivery, receiveAny } from '../receive-any.js';
import { DelayedPromotions } from './delayed-promotions.js';
import { QueueCommands } from './queue-commands.js';
import { Taken, WaitedKeys } from './waited-keys.js';

/**
 * What the queue brokers on Redis share, whatever their delivery mode: the queue's commands, and the waiting polls
 * (see WaitedKeys), served again when the connection is back and by a sweep that finds what no wake-up announced. A
 * mode says how it takes from a key, gives back what reached nobody, and answers a take that failed.
 */
export abstract class RedisQueueBroker<T> extends DeploymentBroker {
  protected readonly commands: QueueCommands;
  protected readonly keys: WaitedKeys<T>;
  private readonly promotions: DelayedPromotions;

  protected constructor(share: DeploymentShare, limits: QueueLimits, sweepTest: SweepTest) {
    super(share);
    const { commands, topology, wakes } = share.deployment;
    this.commands = new QueueCommands(commands, limits, this.logger, share.durable);
    this.promotions = new DelayedPromotions((key) => this.commands.promote(key));
    const sweep = new KeySweep(topology, sweepTest);
    this.keys = new WaitedKeys(wakes, {
      take: (key, max) => this.take(key, max),
      giveBack: (key, taken) => this.giveBack(key, taken),
      failed: (key, error) => this.takeFailed(key, error),
      holding: (keys) => sweep.holding(keys),
    });
    this.whenReconnected(() => this.keys.reconnected());
  }

  async publish(key: string, message: Buffer, options: PublishOptions = {}): Promise<boolean> {
    const stored = await this.commands.publish(key, message, options);
    if (stored && options.delay) {
      this.promotions.schedule(key, options.delay);
    }
    return stored;
  }

  /** Takes from a key straight when nobody here is in line on it and it may hold something, else waits in line. */
  async receiveAny(keys: string[], options: BrokerReceiveOptions): Promise<KeyedDelivery[]> {
    options.signal?.throwIfAborted();
    const deadline = Date.now() + options.timeout;
    return receiveAny(keys, options, {
      takeNow: async (key, count) => {
        return this.mayTakeFirst(key) ? this.deliveries((await this.takeOwn(key, count, deadline)).taken) : [];
      },
      waitAny: async (waited, waiting) => {
        const woken = await this.keys.waitAny(waited, waiting);
        return woken && { key: woken.key, deliveries: this.deliveries(woken.value) };
      },
    });
  }

  /** Whether a receive may take for itself before joining the line: nobody here is ahead, and the key may hold something. */
  protected mayTakeFirst(key: string): boolean {
    return !this.keys.busy(key) && !this.keys.drained(key) && this.commands.connection.ready(key);
  }

  /**
   * Takes for a receive of its own, straight from `key` (no waiter, no timer); what comes after `deadline` (a paused
   * Redis) is given back. Says whether a wake-up came meanwhile: what it announced may not be in what was taken.
   */
  protected async takeOwn(key: string, max: number, deadline: number): Promise<{ taken: T[]; wokenMeanwhile: boolean }> {
    const wakesBefore = this.keys.wakesOf(key);
    const taking = this.take(key, max).catch(() => undefined);
    const took = await settleBy(taking, deadline, (late) => late && late.taken.length > 0 && this.giveBack(key, late.taken));
    if (took?.emptied) {
      // A receive that took nothing waits next; one that took the last message may never come back to this key.
      this.keys.drainedSince(key, wakesBefore, took.taken.length === 0);
    }
    return { taken: took?.taken ?? [], wokenMeanwhile: wakesBefore !== this.keys.wakesOf(key) };
  }

  /** Stops taking and promoting, and lets the takes on their way settle (what nobody takes is given back). */
  protected stop(): Promise<void> {
    this.promotions.close();
    return this.keys.close();
  }

  /** Takes up to `max` from `key`, for its waiters or a receive of its own (see takeOwn), in one round trip. */
  protected abstract take(key: string, max: number): Promise<Taken<T>>;
  /** What receivers get of what was taken. */
  protected abstract deliveries(taken: T[]): Delivery[];
  /** Gives back what was taken for waiters that had gone meanwhile. */
  protected abstract giveBack(key: string, taken: T[]): Promise<void>;
  /** A take for waiters failed: ends the waits on a key that cannot be read, or logs; the key is tried again later. */
  protected abstract takeFailed(key: string, error: unknown): void;
}
