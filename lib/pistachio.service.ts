import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { setImmediate as yieldToIo, setTimeout as delay } from 'node:timers/promises';
import type { Acknowledgements, Broker } from './brokers/broker.interface.js';
import type { ChannelBroker } from './channels/channel-broker.interface.js';
import { parseCursor } from './channels/channel-id.js';
import { EndpointDeadLetters } from './dead-letters.js';
import { abortControllerOf } from './departure-signal.js';
import { assertEndpointName } from './endpoint-name.js';
import {
  AtLeastOnceRequiredError,
  EndpointBusyError,
  InvalidOptionsError,
  MessageTooLargeError,
  ShuttingDownError,
  TooManyWaitersError,
  WrongModeError,
} from './errors/index.js';
import type {
  ChannelRead,
  ChannelReadOptions,
  DeadLetters,
  Delivery,
  ReceiveDeliveriesOptions,
  ReceiveOptions,
  ResolvedPistachioOptions,
} from './interfaces/index.js';
import { toMessageBytes } from './message-bytes.js';
import type { PistachioStats } from './monitoring/pistachio-stats.interface.js';
import type { RegistrationMonitor } from './monitoring/registration-monitor.js';
import { PISTACHIO_BROKER, PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from './pistachio.constants.js';
import { assertDuration } from './pistachio.options.js';

/**
 * Publishes to and receives from the endpoints of one registration, queues or (in a broadcast registration) channels;
 * the HTTP route is a thin layer over it.
 */
@Injectable()
export class PistachioService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('PistachioService');
  /** The receives in progress by endpoint, each with a controller of its own, so that shutdown can end them all. */
  private readonly receiving = new Map<string, Set<AbortController>>();
  /** The broker receives in progress: shutdown lets them settle (a pop in flight gives back what it took) first. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Received messages on their way to a client; each may still have to go back to its queue. */
  private readonly handingOver = new Set<Promise<void>>();
  private waiting = 0;
  private shuttingDown = false;

  /** At-least-once: the messages that went unacknowledged through `maxDeliveries` deliveries, by endpoint. */
  readonly deadLetters: DeadLetters = new EndpointDeadLetters((endpoint, operation) => ({
    key: this.keyOf(endpoint),
    acknowledgements: this.acknowledgements(operation),
  }));

  constructor(
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_BROKER) private readonly broker: Broker | ChannelBroker,
    @Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor,
  ) {
    monitor.countWaitingWith(() => this.waiting);
  }

  /**
   * Stores a message (a string as UTF-8, a Buffer as is, anything else as JSON) for one receiver of the queue
   * `endpoint`, or, in a broadcast registration, appends it to the channel `endpoint` for every subscriber.
   */
  async publish(endpoint: string, message: unknown): Promise<void> {
    const key = this.keyOf(endpoint);
    const bytes = toMessageBytes(message);
    if (bytes.length > this.options.maxMessageBytes) {
      throw new MessageTooLargeError(bytes.length, this.options.maxMessageBytes);
    }
    await this.broker.publish(key, bytes);
    this.monitor.published(1);
  }

  /**
   * The next message of `endpoint` as stored, or `null` when none came within the timeout. At-least-once, the message
   * is acknowledged as it is returned: use receiveDelivery() to acknowledge it when done with it.
   */
  async receive(endpoint: string, options: ReceiveOptions = {}): Promise<Buffer | null> {
    const delivery = await this.receiveDelivery(endpoint, options);
    if (delivery?.receipt) {
      await this.ack(endpoint, delivery.receipt);
    }
    return delivery?.message ?? null;
  }

  /**
   * The next message of `endpoint` with its receipt and delivery count, or `null` when none came within the timeout.
   * At-least-once, it stays claimed until `ack()`ed, or comes back after the visibility timeout or a `release()`.
   */
  async receiveDelivery(endpoint: string, options: ReceiveOptions = {}): Promise<Delivery | null> {
    const [delivery] = await this.receiveDeliveries(endpoint, { ...options, max: 1 });
    return delivery ?? null;
  }

  /**
   * Up to `max` messages of `endpoint`: waits for the first like receiveDelivery(), then takes those already queued;
   * empty when none came within the timeout. At least once, `ack` acknowledges receipts first, as `ack()` does (on
   * Redis in the same round trip): a refusal rejects before anything is received.
   */
  async receiveDeliveries(
    endpoint: string,
    { timeout = this.options.timeout, signal, max = 1, ack }: ReceiveDeliveriesOptions = {},
  ): Promise<Delivery[]> {
    const broker = this.queues('receive()');
    const key = this.keyOf(endpoint);
    const acknowledged = ack === undefined ? undefined : [ack].flat();
    if (acknowledged && !broker.acknowledgements) {
      throw new AtLeastOnceRequiredError('Acknowledging');
    }
    this.assertReceive(timeout, max, 'receive()');
    const deliveries = await this.waitFor(endpoint, signal, (aborted) =>
      broker.receive(key, { timeout, signal: aborted, max, ack: acknowledged }),
    );
    this.monitor.delivered(deliveries.length, deliveries.filter(({ deliveryCount }) => deliveryCount > 1).length);
    return deliveries;
  }

  /**
   * Broadcast: up to `max` messages of the channel `endpoint` after the cursor `after` (the id of the last message
   * read), at once when the channel retains some, else the next one to come; without a cursor, the next message
   * published. Empty when none came within the timeout; `gap` says that messages after the cursor are gone.
   */
  async read(
    endpoint: string,
    { after, timeout = this.options.timeout, signal, max = 1 }: ChannelReadOptions = {},
  ): Promise<ChannelRead> {
    const broker = this.channels('read()');
    const key = this.keyOf(endpoint);
    const cursor = after === undefined ? undefined : parseCursor(after);
    this.assertReceive(timeout, max, 'read()');
    const read = await this.waitFor(endpoint, signal, (aborted) =>
      broker.read(key, { after: cursor, max, timeout, signal: aborted }),
    );
    this.monitor.delivered(read.messages.length, 0);
    return read;
  }

  /**
   * At-least-once: settles deliveries of `endpoint` for good, all or none. A receipt that is unknown, settled already
   * or expired refuses the whole call with a ReceiptRefusedError.
   */
  async ack(endpoint: string, receipts: string | string[]): Promise<void> {
    await this.acknowledgements('ack()').ack(this.keyOf(endpoint), [receipts].flat());
  }

  /** At-least-once: gives deliveries of `endpoint` back at once, all or none; they are delivered again next. */
  async release(endpoint: string, receipts: string | string[]): Promise<void> {
    await this.acknowledgements('release()').release(this.keyOf(endpoint), [receipts].flat());
  }

  /** Gives back a received message that its receiver could not take: it goes to the next receiver first. */
  async requeue(endpoint: string, message: Buffer): Promise<void> {
    await this.giveBack(this.queues('requeue()'), endpoint, [message]);
  }

  /**
   * Follows received messages (a message as receive() returned it, or deliveries) to their client: when `delivered`
   * resolves `false`, those delivered at most once go back to their queue, in order (acknowledged ones stay claimed:
   * the client may have them). Shutdown waits for the hand-overs in progress, so that a message whose client leaves
   * then still finds its queue open.
   */
  handOver(endpoint: string, received: Buffer | Delivery[], delivered: Promise<boolean>): Promise<void> {
    // Refused at the call, not later as a loss: a channel has nothing to give back.
    const broker = this.queues('handOver()');
    const deliveries: Pick<Delivery, 'message' | 'receipt'>[] = Buffer.isBuffer(received) ? [{ message: received }] : received;
    const unclaimed = deliveries.filter(({ receipt }) => receipt === undefined).map(({ message }) => message);
    const handingOver = delivered
      .then((reached) => (reached || unclaimed.length === 0 ? undefined : this.giveBack(broker, endpoint, unclaimed)))
      .catch((error: unknown) => {
        this.logger.error(`Messages for "${endpoint}" whose client left could not be requeued and are lost`, error);
        this.monitor.lost(unclaimed.length);
      })
      .finally(() => this.handingOver.delete(handingOver));
    this.handingOver.add(handingOver);
    return handingOver;
  }

  /**
   * This process's figures for the registration: receives waiting now, counts of messages and polls since start, and
   * the broker's connections. Plain numbers, cheap enough for every scrape.
   */
  stats(): PistachioStats {
    const { messages, polls } = this.monitor.stats;
    return {
      namespace: this.options.namespace,
      ...(this.options.name === undefined ? {} : { name: this.options.name }),
      mode: this.options.mode,
      delivery: this.options.delivery,
      pollsWaiting: this.waiting,
      messages: { ...messages },
      polls: { ...polls },
      broker: this.broker.stats(),
    };
  }

  /**
   * How many messages of the queue `endpoint` wait to be received (at-least-once: with those come back
   * unacknowledged); in a broadcast registration, how many the channel `endpoint` retains.
   */
  async length(endpoint: string): Promise<number> {
    return this.broker.length(this.keyOf(endpoint));
  }

  /**
   * The registration's shutdown, in order: ends every receive in progress with a ShuttingDownError (the route answers
   * 503; their messages stay queued) and lets them settle, so that a pop in flight gives back what it took while the
   * broker is still open; then waits, all within `shutdownGrace`, for the messages on their way to clients (see
   * handOver), and closes the broker.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    const reason = new ShuttingDownError();
    for (const receives of this.receiving.values()) {
      receives.forEach((receive) => receive.abort(reason));
    }
    const grace = delay(this.options.shutdownGrace, 'late', { ref: false });
    const settled = Promise.allSettled(this.inFlight)
      // The polls just ended write their 503, and hand over what they received, before anything closes.
      .then(() => yieldToIo())
      .then(() => Promise.all(this.handingOver));
    if ((await Promise.race([settled, grace])) === 'late') {
      const receives = this.inFlight.size > 0 ? `, and ${this.inFlight.size} receives had not ended` : '';
      this.logger.warn(`${this.handingOver.size} messages were still on their way to clients at shutdown${receives}`);
    }
    await this.broker.close();
  }

  private async giveBack(broker: Broker, endpoint: string, messages: Buffer[]): Promise<void> {
    await broker.requeue(this.keyOf(endpoint), messages);
    this.monitor.requeued(messages.length);
  }

  /** The receives of `endpoint`, once the receive is allowed to wait alongside them. */
  private admit(endpoint: string): Set<AbortController> {
    if (this.shuttingDown) {
      throw new ShuttingDownError();
    }
    if (this.waiting >= this.options.maxWaiters) {
      throw new TooManyWaitersError(this.options.maxWaiters);
    }
    const receives = this.receiving.get(endpoint) ?? new Set<AbortController>();
    if (receives.size >= this.options.maxWaitersPerEndpoint) {
      throw new EndpointBusyError(endpoint, this.options.maxWaitersPerEndpoint);
    }
    this.receiving.set(endpoint, receives);
    return receives;
  }

  /**
   * Runs a receive of `endpoint` as one of those waiting: admitted within the limits, and ended by the caller's signal
   * or by shutdown, which lets it settle before the broker closes.
   */
  private async waitFor<T>(endpoint: string, signal: AbortSignal | undefined, receive: (signal: AbortSignal) => Promise<T>): Promise<T> {
    signal?.throwIfAborted();
    const receives = this.admit(endpoint);
    // A poll's departure signal has a controller that shutdown can abort too; any other signal, one of ours follows.
    const own = signal === undefined ? undefined : abortControllerOf(signal);
    const controller = own ?? new AbortController();
    const forwardAbort = own ? undefined : () => controller.abort(signal!.reason);
    if (forwardAbort) {
      signal?.addEventListener('abort', forwardAbort, { once: true });
    }
    receives.add(controller);
    this.waiting++;
    const receiving = receive(controller.signal);
    this.inFlight.add(receiving);
    try {
      return await receiving;
    } finally {
      this.inFlight.delete(receiving);
      this.waiting--;
      receives.delete(controller);
      if (receives.size === 0) {
        this.receiving.delete(endpoint);
      }
      if (forwardAbort) {
        signal?.removeEventListener('abort', forwardAbort);
      }
    }
  }

  private assertReceive(timeout: number, max: number, owner: string): void {
    assertDuration(timeout, 'timeout', owner);
    if (!(Number.isInteger(max) && max >= 1 && max <= this.options.maxBatch)) {
      throw new InvalidOptionsError('max', `a whole number from 1 to maxBatch (${this.options.maxBatch})`, max, owner);
    }
  }

  private queues(operation: string): Broker {
    if (this.broker.mode !== 'queue') {
      throw new WrongModeError(operation, 'queue');
    }
    return this.broker;
  }

  private channels(operation: string): ChannelBroker {
    if (this.broker.mode !== 'broadcast') {
      throw new WrongModeError(operation, 'broadcast');
    }
    return this.broker;
  }

  private acknowledgements(operation: string): Acknowledgements {
    const { acknowledgements } = this.queues(operation);
    if (!acknowledgements) {
      throw new AtLeastOnceRequiredError(operation);
    }
    return acknowledgements;
  }

  private keyOf(endpoint: string): string {
    assertEndpointName(endpoint);
    return `${this.options.namespace}:${endpoint}`;
  }
}
