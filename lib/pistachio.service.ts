import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as delay } from 'node:timers/promises';
import type { Broker } from './brokers/broker.interface.js';
import { assertEndpointName } from './endpoint-name.js';
import { EndpointBusyError, MessageTooLargeError, ShuttingDownError, TooManyWaitersError } from './errors/index.js';
import type { ReceiveOptions, ResolvedPistachioOptions } from './interfaces/index.js';
import { toMessageBytes } from './message-bytes.js';
import { PISTACHIO_BROKER, PISTACHIO_OPTIONS } from './pistachio.constants.js';
import { assertDuration } from './pistachio.options.js';

/** Publishes to and receives from the endpoints of one registration; the HTTP route is a thin layer over it. */
@Injectable()
export class PistachioService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('PistachioService');
  /** The receives in progress by endpoint, each with a controller of its own, so that shutdown can end them all. */
  private readonly receiving = new Map<string, Set<AbortController>>();
  /** Received messages on their way to a client; each may still have to go back to its queue. */
  private readonly handingOver = new Set<Promise<void>>();
  private waiting = 0;
  private shuttingDown = false;

  constructor(
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_BROKER) private readonly broker: Broker,
  ) {}

  /** Stores a message (a string as UTF-8, a Buffer as is, anything else as JSON) for one receiver of `endpoint`. */
  async publish(endpoint: string, message: unknown): Promise<void> {
    const key = this.keyOf(endpoint);
    const bytes = toMessageBytes(message);
    if (bytes.length > this.options.maxMessageBytes) {
      throw new MessageTooLargeError(bytes.length, this.options.maxMessageBytes);
    }
    await this.broker.publish(key, bytes);
  }

  /** The next message of `endpoint` as stored, or `null` when none came within the timeout. */
  async receive(endpoint: string, { timeout = this.options.timeout, signal }: ReceiveOptions = {}): Promise<Buffer | null> {
    const key = this.keyOf(endpoint);
    assertDuration(timeout, 'timeout', 'receive()');
    signal?.throwIfAborted();
    const receipts = this.admit(endpoint);
    const receipt = new AbortController();
    const forwardAbort = () => receipt.abort(signal!.reason);
    signal?.addEventListener('abort', forwardAbort, { once: true });
    receipts.add(receipt);
    this.waiting++;
    try {
      return await this.broker.receive(key, { timeout, signal: receipt.signal });
    } finally {
      this.waiting--;
      receipts.delete(receipt);
      if (receipts.size === 0) {
        this.receiving.delete(endpoint);
      }
      signal?.removeEventListener('abort', forwardAbort);
    }
  }

  /** Gives back a received message that its receiver could not take: it goes to the next receiver first. */
  async requeue(endpoint: string, message: Buffer): Promise<void> {
    await this.broker.requeue(this.keyOf(endpoint), message);
  }

  /**
   * Follows a received message to its client: when `delivered` resolves `false` the message is requeued. Shutdown
   * waits for the hand-overs in progress, so that a message whose client leaves then still finds its queue open.
   */
  handOver(endpoint: string, message: Buffer, delivered: Promise<boolean>): Promise<void> {
    const handingOver = delivered
      .then((reached) => (reached ? undefined : this.requeue(endpoint, message)))
      .catch((error: unknown) => {
        this.logger.error(`A message for "${endpoint}" whose client left could not be requeued and is lost`, error);
      })
      .finally(() => this.handingOver.delete(handingOver));
    this.handingOver.add(handingOver);
    return handingOver;
  }

  /** How many messages of `endpoint` wait to be received. */
  async length(endpoint: string): Promise<number> {
    return this.broker.length(this.keyOf(endpoint));
  }

  /**
   * The registration's shutdown, in order: ends every receive in progress with a ShuttingDownError (the route answers
   * 503; their messages stay queued), waits up to `shutdownGrace` for the messages on their way to clients (see
   * handOver), then closes the broker.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.shuttingDown = true;
    const reason = new ShuttingDownError();
    for (const receipts of this.receiving.values()) {
      receipts.forEach((receipt) => receipt.abort(reason));
    }
    const grace = delay(this.options.shutdownGrace, 'late', { ref: false });
    if ((await Promise.race([Promise.all(this.handingOver), grace])) === 'late') {
      this.logger.warn(`${this.handingOver.size} messages were still on their way to clients at shutdown`);
    }
    await this.broker.close();
  }

  /** The receipts of `endpoint`, once the receive is allowed to wait alongside them. */
  private admit(endpoint: string): Set<AbortController> {
    if (this.shuttingDown) {
      throw new ShuttingDownError();
    }
    if (this.waiting >= this.options.maxWaiters) {
      throw new TooManyWaitersError(this.options.maxWaiters);
    }
    const receipts = this.receiving.get(endpoint) ?? new Set<AbortController>();
    if (receipts.size >= this.options.maxWaitersPerEndpoint) {
      throw new EndpointBusyError(endpoint, this.options.maxWaitersPerEndpoint);
    }
    this.receiving.set(endpoint, receipts);
    return receipts;
  }

  private keyOf(endpoint: string): string {
    assertEndpointName(endpoint);
    return `${this.options.namespace}:${endpoint}`;
  }
}
