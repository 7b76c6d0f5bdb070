import Denque from 'denque';
import { QueueFullError } from '../../errors/index.js';
import type { Delivery, PublishOptions } from '../../interfaces/index.js';
import type { BrokerEvents } from '../../monitoring/delivery-events.interface.js';
import type { BrokerStats } from '../../monitoring/pistachio-stats.interface.js';
import { Broker, BrokerHealth, BrokerReceiveOptions } from '../broker.interface.js';
import { QueueLimits } from '../broker-settings.interface.js';
import { KeyedDelivery, receiveAny } from '../receive-any.js';
import { endOfTurn } from '../end-of-turn.js';
import { HandedOutExpiries } from '../handed-out-expiries.js';
import { Waiters } from '../waiters.js';
import { DeduplicationWindow } from './deduplication-window.js';
import { DelayedMessages } from './delayed-messages.js';
import { ExpiringMap } from './expiring-map.js';

/** A message in a memory queue, and what acknowledged delivery keeps of it once it was handed out. */
export interface QueuedMessage {
  message: Buffer;
  /** How many times it was handed out. */
  deliveries: number;
  /** Its id, from its first delivery on. */
  id?: string;
  /** Names its latest delivery in the receipt. */
  nonce?: string;
  /** The timer of its latest delivery (shared by a batch); unset once that delivery is settled or came back. */
  visibility?: NodeJS.Timeout;
  /** When its `ttl` passes (ms since the epoch): still never handed out then, it is dropped. */
  expiresAt?: number;
}

/** Queues in this process's memory, delivered at most once: the embedded default, for a single instance and for tests. */
export class MemoryBroker implements Broker {
  private readonly queues: ExpiringMap<Denque<QueuedMessage>>;
  private readonly waiters = new Waiters<Delivery[]>();
  private readonly deduplication: DeduplicationWindow;
  private readonly expiries = new HandedOutExpiries();
  private readonly delayed = new DelayedMessages((key, message, expiresAt) =>
    this.append(key, { message, deliveries: 0, expiresAt: expiresAt || undefined }),
  );

  constructor(
    private readonly limits: QueueLimits,
    protected readonly events: BrokerEvents,
  ) {
    this.queues = new ExpiringMap(limits.messageTtl, () => new Denque<QueuedMessage>());
    this.deduplication = new DeduplicationWindow(limits.deduplicationWindow);
  }

  async publish(key: string, message: Buffer, { deduplicationId, delay = 0, ttl }: PublishOptions = {}): Promise<boolean> {
    if (deduplicationId !== undefined && this.deduplication.has(key, deduplicationId)) {
      return false;
    }
    if (delay === 0) {
      this.delayed.releaseDue(key);
    }
    // A message handed to a waiter at once is never queued; a delayed one waits for its time whoever waits now.
    if (!(this.waiters.has(key) && delay === 0)) {
      this.makeRoom(key, this.queues.get(key)?.length ?? 0);
    }
    if (delay > 0) {
      this.delayed.add(key, message, delay, ttl);
    } else {
      this.append(key, { message, deliveries: 0, expiresAt: ttl && Date.now() + ttl });
    }
    if (deduplicationId !== undefined) {
      this.deduplication.record(key, deduplicationId);
    }
    // Acknowledged with the answers it woke, at the end of the turn, as a publish to Redis is after its round trip.
    await endOfTurn();
    return true;
  }

  async receive(key: string, options: BrokerReceiveOptions): Promise<Delivery[]> {
    options.signal?.throwIfAborted();
    const taken = this.take(key, options.max);
    return taken.length > 0 ? this.deliver(key, taken) : ((await this.waiters.wait(key, options)) ?? []);
  }

  async receiveAny(keys: string[], options: BrokerReceiveOptions): Promise<KeyedDelivery[]> {
    options.signal?.throwIfAborted();
    return receiveAny(keys, options, {
      takeNow: async (key, count) => {
        const taken = this.take(key, count);
        return taken.length > 0 ? this.deliver(key, taken) : [];
      },
      waitAny: async (waited, waiting) => {
        const woken = await this.waiters.waitAny(waited, waiting);
        return woken && { key: woken.key, deliveries: woken.value };
      },
    });
  }

  /** Gives back messages, each with the expiry it was handed out with. */
  async requeue(key: string, messages: Buffer[]): Promise<void> {
    this.giveBack(key, messages.map((message) => ({ message, deliveries: 0, expiresAt: this.expiries.of(message) || undefined })));
  }

  async length(key: string): Promise<number> {
    return this.queues.get(key)?.length ?? 0;
  }

  stats(): BrokerStats {
    return { type: 'memory' };
  }

  /** The queues are in this process: whenever it answers, they can serve. */
  async health(): Promise<BrokerHealth> {
    return { up: true };
  }

  /** The queues live in this process: they end with it. */
  async close(): Promise<void> {
    this.queues.stopExpiring();
    this.delayed.close();
  }

  /** Hands a message to the oldest waiter, else appends it to the queue. */
  protected append(key: string, queued: QueuedMessage): void {
    if (this.waiters.has(key)) {
      this.waiters.hand(key, this.deliver(key, [queued]));
    } else {
      this.queues.write(key).push(queued);
    }
  }

  /**
   * Hands messages that came back to the oldest waiters, the rest to the head of the queue: in order, behind those that
   * came back before them and were handed out first. Those whose ttl passed meanwhile are dropped and counted.
   */
  protected giveBack(key: string, messages: QueuedMessage[]): void {
    const now = Date.now();
    const live = messages.filter((queued) => !expired(queued, now));
    if (live.length < messages.length) {
      this.events.expired(messages.length - live.length);
    }
    const rest = this.waiters.handOut(key, live, (taken) => this.deliver(key, taken));
    if (rest.length === 0) {
      return;
    }
    const queue = this.queues.write(key);
    let at = 0;
    for (const queued of rest) {
      while (at < queue.length && handedOutBefore(queue.peekAt(at)!, queued)) {
        at++;
      }
      queue.splice(at++, 0, queued);
    }
  }

  /** Makes room for one more message beside `queued` and the key's delayed ones: from the queue's head, or refuses. */
  private makeRoom(key: string, queued: number): void {
    if (queued + this.delayed.count(key) < this.limits.maxQueueLength) {
      return;
    }
    if (this.limits.overflow === 'reject' || queued === 0) {
      throw new QueueFullError(key, this.limits.maxQueueLength);
    }
    this.queues.get(key)!.shift();
  }

  /** Takes up to `max` from the head of the queue, dropping (and counting) those whose ttl passed first. */
  private take(key: string, max: number): QueuedMessage[] {
    const queue = this.queues.get(key);
    if (!queue) {
      return [];
    }
    const now = Date.now();
    const taken: QueuedMessage[] = [];
    let dropped = 0;
    while (taken.length < max && !queue.isEmpty()) {
      const queued = queue.shift()!;
      if (expired(queued, now)) {
        dropped++;
      } else {
        taken.push(queued);
      }
    }
    if (queue.isEmpty()) {
      this.queues.delete(key);
    }
    if (dropped > 0) {
      this.events.expired(dropped);
    }
    return taken;
  }

  /** What the receivers get of the messages taken for them, each tagged with its expiry should it be given back. */
  protected deliver(_key: string, messages: QueuedMessage[]): Delivery[] {
    return messages.map(({ message, expiresAt = 0 }) => {
      this.expiries.tag(message, expiresAt);
      return { message, deliveryCount: 1 };
    });
  }
}

/** Whether a message's ttl passed before it was ever handed out (once handed out, a ttl no longer applies). */
function expired({ expiresAt, deliveries }: QueuedMessage, now: number): boolean {
  return expiresAt !== undefined && expiresAt <= now && deliveries === 0;
}

function handedOutBefore(queued: QueuedMessage, other: QueuedMessage): boolean {
  return queued.id !== undefined && other.id !== undefined && Number(queued.id) < Number(other.id);
}
