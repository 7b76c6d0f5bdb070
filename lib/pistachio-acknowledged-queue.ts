import { Injectable } from '@nestjs/common';
import type { AcknowledgedBroker } from './brokers/broker.interface.js';
import { EndpointDeadLetters } from './dead-letters.js';
import type { AcknowledgedReceiveOptions, DeadLetters, Delivery, ReceiveOptions } from './interfaces/index.js';
import { PistachioQueue } from './pistachio-queue.js';
import { InvalidOptionsError, ReceiptRefusedError } from './errors/index.js';

/**
 * The queues of a registration with `delivery: 'at-least-once'`: each message handed out stays claimed under its
 * receipt until acknowledged (`ack`), and comes back after the visibility timeout or a `release`; after
 * `maxDeliveries` deliveries it moves to its endpoint's dead letters. Injected under the queue's token
 * (`@InjectPistachioQueue(name?)`), typed as this class by the app.
 */
@Injectable()
export class PistachioAcknowledgedQueue extends PistachioQueue {
  /** @internal */
  declare protected readonly broker: AcknowledgedBroker;

  private letters?: DeadLetters;

  /** The messages that went unacknowledged through `maxDeliveries` deliveries, by endpoint. */
  get deadLetters(): DeadLetters {
    // Made on first use: the broker is set by PistachioQueue's constructor, after this class's fields.
    return (this.letters ??= new EndpointDeadLetters((endpoint) => this.keyOf(endpoint), this.broker));
  }

  /** The next message of `endpoint`, acknowledged as it is returned: use receiveDelivery() to acknowledge it when done. */
  override async receive(endpoint: string, options: ReceiveOptions = {}): Promise<Buffer | null> {
    const delivery = await this.receiveDelivery(endpoint, options);
    if (delivery) {
      await this.ack(endpoint, delivery.receipt!);
    }
    return delivery?.message ?? null;
  }

  /**
   * Up to `max` messages of `endpoint`, each claimed under its receipt. `ack` acknowledges receipts first, as `ack()`
   * does (on Redis in the same round trip): a refusal rejects before anything is received.
   */
  override receiveDeliveries(endpoint: string, options: AcknowledgedReceiveOptions = {}): Promise<Delivery[]> {
    const ack = options.ack === undefined ? undefined : [options.ack].flat();
    return this.take(endpoint, options, (key, request) => this.broker.receive(key, { ...request, ack }));
  }

  /** Settles deliveries of `endpoint` for good, all or none: an unknown, settled or expired receipt refuses the call. */
  async ack(endpoint: string, receipts: string | string[]): Promise<void> {
    await this.broker.ack(this.keyOf(endpoint), [receipts].flat());
  }

  /** Gives deliveries of `endpoint` back at once, all or none; they are delivered again next. */
  async release(endpoint: string, receipts: string | string[]): Promise<void> {
    await this.broker.release(this.keyOf(endpoint), [receipts].flat());
  }

  /**
   * Keeps deliveries of `endpoint` claimed for `visibility` milliseconds from now (1 to `maxVisibilityTimeout`), all
   * or none, instead of until their visibility timeout: for a job that runs longer. Their receipts stay valid; an
   * expired or unknown one refuses the call, as `ack()` does.
   */
  async extend(endpoint: string, receipts: string | string[], visibility: number): Promise<void> {
    const max = this.options.maxVisibilityTimeout;
    if (!(Number.isInteger(visibility) && visibility >= 1 && visibility <= max)) {
      throw new InvalidOptionsError('visibility', `a whole number of milliseconds from 1 to maxVisibilityTimeout (${max})`, visibility, 'extend()');
    }
    try {
      await this.broker.extend(this.keyOf(endpoint), [receipts].flat(), visibility);
    } catch (error) {
      throw error instanceof ReceiptRefusedError ? new ReceiptRefusedError(error.refusals, [], 'extended') : error;
    }
  }
}
