import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Broker, BrokerReceiveOptions } from './brokers/broker.interface.js';
import { endpointKey } from './endpoint-key.js';
import { EndpointRotation } from './endpoint-rotation.js';
import { assertEndpointList } from './endpoint-name.js';
import type { Delivery, EndpointDelivery, ReceiveDeliveriesOptions, ReceiveOptions, ResolvedPistachioOptions } from './interfaces/index.js';
import type { RegistrationMonitor } from './monitoring/registration-monitor.js';
import { PISTACHIO_BROKER, PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from './pistachio.constants.js';
import { Receives } from './receives.js';

/**
 * Receives from the queues of a registration with `mode: 'queue'`: each message goes to one receiver. Injected with
 * `@InjectPistachioQueue(name?)`; a registration that delivers at least once provides a PistachioAcknowledgedQueue.
 */
@Injectable()
export class PistachioQueue {
  private readonly logger = new Logger('PistachioService');
  private readonly rotation = new EndpointRotation();

  /** @internal */
  protected readonly options: ResolvedPistachioOptions;
  /** @internal */
  protected readonly broker: Broker;

  /** @internal Nest creates it for the registration. */
  constructor(
    @Inject(PISTACHIO_OPTIONS) options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_BROKER) broker: Broker,
    @Inject(Receives) private readonly receives: Receives,
    @Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor,
  ) {
    this.options = options;
    this.broker = broker;
  }

  /** The next message of `endpoint` as stored, or `null` when none came within the timeout. */
  async receive(endpoint: string, options: ReceiveOptions = {}): Promise<Buffer | null> {
    return (await this.receiveDelivery(endpoint, options))?.message ?? null;
  }

  /** The next message of `endpoint` with its delivery count, or `null` when none came within the timeout. */
  async receiveDelivery(endpoint: string, options: ReceiveOptions = {}): Promise<Delivery | null> {
    const [delivery] = await this.receiveDeliveries(endpoint, { ...options, max: 1 });
    return delivery ?? null;
  }

  /**
   * Up to `max` messages of `endpoint`: waits for the first like receiveDelivery(), then takes those already queued;
   * empty when none came within the timeout.
   */
  receiveDeliveries(endpoint: string, options: ReceiveDeliveriesOptions = {}): Promise<Delivery[]> {
    return this.take(endpoint, options, (key, request) => this.broker.receive(key, request));
  }

  /**
   * Up to `max` messages from any of `endpoints` (2 to `maxEndpointsPerPoll`, distinct), each with its endpoint, fair
   * between them: among those that hold messages, the one after the endpoint this instance served last for this list
   * goes first, and a batch takes one from each in turn, then again. Waits for the first like receiveDeliveries(),
   * as one receive on each endpoint; empty when none came within the timeout.
   */
  async receiveAny(endpoints: string[], { timeout = this.options.timeout, signal, max = 1 }: ReceiveDeliveriesOptions = {}): Promise<EndpointDelivery[]> {
    assertEndpointList(endpoints, this.options.maxEndpointsPerPoll);
    const keys = new Map(endpoints.map((endpoint) => [this.keyOf(endpoint), endpoint]));
    const order = this.rotation.order(endpoints).map((endpoint) => this.keyOf(endpoint));
    const deliveries = await this.receives.wait(endpoints, { timeout, max, signal }, 'receiveAny()', (aborted) =>
      this.broker.receiveAny(order, { timeout, signal: aborted, max }),
    );
    this.counted(deliveries);
    if (deliveries.length > 0) {
      this.rotation.served(endpoints, keys.get(deliveries[deliveries.length - 1].key)!);
    }
    return deliveries.map(({ key, ...delivery }) => ({ ...delivery, endpoint: keys.get(key)! }));
  }

  /** Gives back a received message that its receiver could not take: it goes to the next receiver first. */
  async requeue(endpoint: string, message: Buffer): Promise<void> {
    await this.giveBack(endpoint, [message]);
  }

  /**
   * Follows received messages (a message as receive() returned it, or deliveries) to their client: when `delivered`
   * resolves `false`, those delivered at most once go back to their queue, in order (acknowledged ones stay claimed:
   * the client may have them). Shutdown waits for the hand-overs in progress, so that a message whose client leaves
   * then still finds its queue open.
   */
  handOver(endpoint: string, received: Buffer | Delivery[], delivered: Promise<boolean>): Promise<void> {
    const deliveries: Pick<Delivery, 'message' | 'receipt'>[] = Buffer.isBuffer(received) ? [{ message: received }] : received;
    const unclaimed = deliveries.filter(({ receipt }) => receipt === undefined).map(({ message }) => message);
    return this.receives.follow(
      delivered
        .then((reached) => (reached || unclaimed.length === 0 ? undefined : this.giveBack(endpoint, unclaimed)))
        .catch((error: unknown) => {
          this.logger.error(`Messages for "${endpoint}" whose client left could not be requeued and are lost`, error);
          this.monitor.lost(unclaimed.length);
        }),
    );
  }

  /** @internal Waits for and takes deliveries of `endpoint` as one of the registration's receives, with the broker call given. */
  protected async take(
    endpoint: string,
    { timeout = this.options.timeout, signal, max = 1 }: ReceiveDeliveriesOptions,
    receive: (key: string, request: BrokerReceiveOptions) => Promise<Delivery[]>,
  ): Promise<Delivery[]> {
    const key = this.keyOf(endpoint);
    const deliveries = await this.receives.wait([endpoint], { timeout, max, signal }, 'receive()', (aborted) =>
      receive(key, { timeout, signal: aborted, max }),
    );
    this.counted(deliveries);
    return deliveries;
  }

  private counted(deliveries: Delivery[]): void {
    this.monitor.delivered(deliveries.length, deliveries.filter(({ deliveryCount }) => deliveryCount > 1).length);
  }

  /** @internal */
  protected keyOf(endpoint: string): string {
    return endpointKey(this.options.namespace, endpoint);
  }

  private async giveBack(endpoint: string, messages: Buffer[]): Promise<void> {
    await this.broker.requeue(this.keyOf(endpoint), messages);
    this.monitor.requeued(messages.length);
  }
}
