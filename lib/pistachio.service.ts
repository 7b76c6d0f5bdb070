import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { Broker } from './brokers/broker.interface.js';
import type { ChannelBroker } from './channels/channel-broker.interface.js';
import { endpointKey } from './endpoint-key.js';
import { assertEndpointName } from './endpoint-name.js';
import { AtLeastOnceRequiredError, MessageTooLargeError, WrongModeError } from './errors/index.js';
import type {
  AcknowledgedReceiveOptions,
  ChannelRead,
  ChannelReadOptions,
  DeadLetters,
  Delivery,
  PublishOptions,
  ReceiveOptions,
  ResolvedPistachioOptions,
} from './interfaces/index.js';
import { toMessageBytes } from './message-bytes.js';
import type { PistachioStats } from './monitoring/pistachio-stats.interface.js';
import type { RegistrationMonitor } from './monitoring/registration-monitor.js';
import { PistachioAcknowledgedQueue } from './pistachio-acknowledged-queue.js';
import { PistachioChannel } from './pistachio-channel.js';
import { PISTACHIO_BROKER, PISTACHIO_MODE_API, PISTACHIO_MONITOR, PISTACHIO_OPTIONS, PISTACHIO_PRESENCE } from './pistachio.constants.js';
import type { Presence } from './presence/presence.js';
import { PistachioQueue } from './pistachio-queue.js';
import { checkPublishOptions } from './publish-options.js';
import { Receives } from './receives.js';

/** The deprecated methods already warned about in this process: each warns once. */
const warned = new Set<string>();

/**
 * Publishes to the endpoints of one registration, queues or (in a broadcast registration) channels, and tells what
 * every mode shares. Receiving is the mode's own: PistachioQueue, PistachioAcknowledgedQueue or PistachioChannel.
 */
@Injectable()
export class PistachioService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('PistachioService');

  /** @internal Nest creates it for the registration. */
  constructor(
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_BROKER) private readonly broker: Broker | ChannelBroker,
    @Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor,
    @Inject(Receives) private readonly receives: Receives,
    @Inject(PISTACHIO_MODE_API) private readonly modeApi: PistachioQueue | PistachioChannel,
    @Inject(PISTACHIO_PRESENCE) private readonly presences: Presence,
  ) {}

  /**
   * Stores a message (a string as UTF-8, a Buffer as is, anything else as JSON) for one receiver of the queue
   * `endpoint`, or, in a broadcast registration, appends it to the channel `endpoint` for every subscriber. A queue's
   * publish with a `deduplicationId` seen on the endpoint within `deduplicationWindow` resolves too, and stores nothing.
   */
  async publish(endpoint: string, message: unknown, options: PublishOptions = {}): Promise<void> {
    const key = endpointKey(this.options.namespace, endpoint);
    const bytes = toMessageBytes(message);
    checkPublishOptions(options, this.options);
    if (bytes.length > this.options.maxMessageBytes) {
      throw new MessageTooLargeError(bytes.length, this.options.maxMessageBytes);
    }
    if (await this.store(key, bytes, options)) {
      this.monitor.published(1);
      if (options.delay) {
        this.monitor.delayed(1);
      }
    } else {
      this.monitor.deduplicated(1);
    }
  }

  /**
   * How many messages of the queue `endpoint` wait to be received (at-least-once: with those come back
   * unacknowledged); in a broadcast registration, how many the channel `endpoint` retains.
   */
  async length(endpoint: string): Promise<number> {
    return this.broker.length(endpointKey(this.options.namespace, endpoint));
  }

  /**
   * How many receives wait on `endpoint` now, polls of the route and receive calls of the app, across every instance
   * of the app: on Redis, this instance's as they are and the others' as of their last report, at most a second ago.
   */
  async presence(endpoint: string): Promise<number> {
    assertEndpointName(endpoint);
    return this.presences.count(endpoint);
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
      pollsWaiting: this.receives.count,
      messages: { ...messages },
      polls: { ...polls },
      broker: this.broker.stats(),
    };
  }

  /**
   * The registration's shutdown, in order: ends every receive in progress (the route answers 503; their messages stay
   * queued) and waits, within `shutdownGrace`, for the messages on their way to clients; then closes the broker.
   */
  async beforeApplicationShutdown(): Promise<void> {
    await this.receives.end();
    await this.presences.close();
    await this.broker.close();
  }

  /** Stores a message in the mode's broker: false when a queue's deduplication took it for a repeat. */
  private async store(key: string, message: Buffer, options: PublishOptions): Promise<boolean> {
    if (this.options.mode === 'broadcast') {
      await (this.broker as ChannelBroker).publish(key, message);
      return true;
    }
    return (this.broker as Broker).publish(key, message, options);
  }

  /** @deprecated Use PistachioQueue.receive() (`@InjectPistachioQueue()`); goes in 0.4. */
  async receive(endpoint: string, options?: ReceiveOptions): Promise<Buffer | null> {
    return this.queue('receive()').receive(endpoint, options);
  }

  /** @deprecated Use PistachioQueue.receiveDelivery() (`@InjectPistachioQueue()`); goes in 0.4. */
  async receiveDelivery(endpoint: string, options?: ReceiveOptions): Promise<Delivery | null> {
    return this.queue('receiveDelivery()').receiveDelivery(endpoint, options);
  }

  /** @deprecated Use PistachioQueue.receiveDeliveries() (`@InjectPistachioQueue()`); goes in 0.4. */
  async receiveDeliveries(endpoint: string, options: AcknowledgedReceiveOptions = {}): Promise<Delivery[]> {
    const queue = this.queue('receiveDeliveries()');
    if (options.ack !== undefined && !(queue instanceof PistachioAcknowledgedQueue)) {
      throw new AtLeastOnceRequiredError('Acknowledging');
    }
    return queue.receiveDeliveries(endpoint, options);
  }

  /** @deprecated Use PistachioQueue.requeue() (`@InjectPistachioQueue()`); goes in 0.4. */
  async requeue(endpoint: string, message: Buffer): Promise<void> {
    return this.queue('requeue()').requeue(endpoint, message);
  }

  /** @deprecated Use PistachioQueue.handOver() (`@InjectPistachioQueue()`); goes in 0.4. */
  handOver(endpoint: string, received: Buffer | Delivery[], delivered: Promise<boolean>): Promise<void> {
    return this.queue('handOver()').handOver(endpoint, received, delivered);
  }

  /** @deprecated Use PistachioAcknowledgedQueue.ack() (`@InjectPistachioQueue()`); goes in 0.4. */
  async ack(endpoint: string, receipts: string | string[]): Promise<void> {
    return this.acknowledgedQueue('ack()').ack(endpoint, receipts);
  }

  /** @deprecated Use PistachioAcknowledgedQueue.release() (`@InjectPistachioQueue()`); goes in 0.4. */
  async release(endpoint: string, receipts: string | string[]): Promise<void> {
    return this.acknowledgedQueue('release()').release(endpoint, receipts);
  }

  /** @deprecated Use PistachioAcknowledgedQueue.deadLetters (`@InjectPistachioQueue()`); goes in 0.4. */
  readonly deadLetters: DeadLetters = {
    count: async (endpoint) => this.acknowledgedQueue('deadLetters.count()').deadLetters.count(endpoint),
    read: async (endpoint, range) => this.acknowledgedQueue('deadLetters.read()').deadLetters.read(endpoint, range),
    requeue: async (endpoint) => this.acknowledgedQueue('deadLetters.requeue()').deadLetters.requeue(endpoint),
    purge: async (endpoint) => this.acknowledgedQueue('deadLetters.purge()').deadLetters.purge(endpoint),
  };

  /** @deprecated Use PistachioChannel.read() (`@InjectPistachioChannel()`); goes in 0.4. */
  async read(endpoint: string, options?: ChannelReadOptions): Promise<ChannelRead> {
    return this.channel('read()').read(endpoint, options);
  }

  private queue(operation: string): PistachioQueue {
    if (!(this.modeApi instanceof PistachioQueue)) {
      throw new WrongModeError(operation, 'queue');
    }
    this.deprecated(operation, this.modeApi instanceof PistachioAcknowledgedQueue ? 'PistachioAcknowledgedQueue' : 'PistachioQueue');
    return this.modeApi;
  }

  private acknowledgedQueue(operation: string): PistachioAcknowledgedQueue {
    const queue = this.queue(operation);
    if (!(queue instanceof PistachioAcknowledgedQueue)) {
      throw new AtLeastOnceRequiredError(operation);
    }
    return queue;
  }

  private channel(operation: string): PistachioChannel {
    if (!(this.modeApi instanceof PistachioChannel)) {
      throw new WrongModeError(operation, 'broadcast');
    }
    this.deprecated(operation, 'PistachioChannel');
    return this.modeApi;
  }

  private deprecated(operation: string, replacement: string): void {
    if (!warned.has(operation)) {
      warned.add(operation);
      const decorator = replacement === 'PistachioChannel' ? 'InjectPistachioChannel' : 'InjectPistachioQueue';
      const name = this.options.name === undefined ? '' : JSON.stringify(this.options.name);
      this.logger.warn(
        `PistachioService.${operation} is deprecated and goes in 0.4: inject ${replacement} (@${decorator}(${name})) and call it there`,
      );
    }
  }
}
