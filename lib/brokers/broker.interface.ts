import type { Delivery, PublishOptions } from '../interfaces/index.js';
import type { BrokerStats } from '../monitoring/pistachio-stats.interface.js';
import type { KeyedDelivery } from './receive-any.js';

export interface BrokerReceiveOptions {
  /** Milliseconds to wait for a message before resolving empty. */
  timeout: number;
  /** Aborting it rejects the receive with the signal's reason and removes its waiter; nothing is consumed. */
  signal?: AbortSignal;
  /** Most messages to take: the first one waited for, then those queued already. */
  max: number;
}

export interface AcknowledgingReceiveOptions extends BrokerReceiveOptions {
  /** Receipts to acknowledge first, all or none; a refusal rejects before anything is taken. */
  ack?: string[];
}

/**
 * Storage and delivery of the queues. Every key is `<namespace>:<endpoint>`; each queue is FIFO, its waiters in one
 * process are served FIFO, and each message goes to exactly one receiver at a time. `test/` holds the spec every
 * broker passes.
 */
export interface Broker {
  /**
   * Appends a message to the tail of the queue, or hands it to the oldest waiter; resolves false, storing nothing,
   * when a publish to the key carried its `deduplicationId` within the window.
   */
  publish(key: string, message: Buffer, options?: PublishOptions): Promise<boolean>;
  /** The next messages of the queue, up to `max`, waiting up to `timeout` for the first; empty when none came in time. */
  receive(key: string, options: BrokerReceiveOptions): Promise<Delivery[]>;
  /**
   * The next messages of any of `keys`, up to `max`, each with its key: taken in turn from those that hold some (in the
   * order given, so the caller decides who goes first), else the first to come, waiting up to `timeout`.
   */
  receiveAny(keys: string[], options: BrokerReceiveOptions): Promise<KeyedDelivery[]>;
  /** Gives back received messages that could not be delivered: to the oldest waiter, else the head of the queue, in order. */
  requeue(key: string, messages: Buffer[]): Promise<void>;
  /** How many messages wait to be received. */
  length(key: string): Promise<number>;
  /** Stops reading, gives back what a read took meanwhile, and releases what the broker holds; nothing queued is lost. */
  close(): Promise<void>;
  /** What the broker says of itself, cheap enough for every scrape. */
  stats(): BrokerStats;
  /** Whether it can serve now, and why not when it cannot. */
  health(): Promise<BrokerHealth>;
}

export type BrokerHealth = { up: true } | { up: false; reason: string };

/** Queues delivered at least once: a broker of queues that also takes acknowledgements. */
export interface AcknowledgedBroker extends Broker, Acknowledgements {
  receive(key: string, options: AcknowledgingReceiveOptions): Promise<Delivery[]>;
}

/**
 * At-least-once delivery: each message a receive hands out stays claimed, under the delivery's receipt, until it is
 * acknowledged; unacknowledged within the visibility timeout (or released) it is delivered again, ahead of newer
 * messages, and after `maxDeliveries` deliveries it moves to the key's dead letters.
 */
export interface Acknowledgements {
  /** Settles the deliveries for good, all or none: a ReceiptRefusedError names the receipts that cannot be. */
  ack(key: string, receipts: string[]): Promise<void>;
  /** Gives the deliveries back at once, all or none (the same refusals as `ack`): they are delivered again next. */
  release(key: string, receipts: string[]): Promise<void>;
  /**
   * Keeps the deliveries claimed for `visibility` milliseconds from now instead of until their deadline, all or none
   * (the same refusals as `ack`); their receipts stay valid.
   */
  extend(key: string, receipts: string[], visibility: number): Promise<void>;
  deadLetterCount(key: string): Promise<number>;
  readDeadLetters(key: string, offset: number, limit: number): Promise<Buffer[]>;
  /** Moves the dead letters back to the tail of the queue; answers how many. */
  requeueDeadLetters(key: string): Promise<number>;
  /** Deletes the dead letters; answers how many there were. */
  purgeDeadLetters(key: string): Promise<number>;
}
