import Denque from 'denque';
import { Logger } from '@nestjs/common';
import { ReceiptRefusal, ReceiptRefusedError } from '../../errors/index.js';
import type { Delivery } from '../../interfaces/index.js';
import { formatReceipt, newNonce, parseReceipt } from '../../receipt.js';
import type { BrokerEvents } from '../../monitoring/delivery-events.interface.js';
import { AcknowledgedBroker, AcknowledgingReceiveOptions } from '../broker.interface.js';
import { AcknowledgementSettings, QueueLimits } from '../broker-settings.interface.js';
import { deadLetterWarning } from '../dead-letter-warning.js';
import { ExpiringMap } from './expiring-map.js';
import { MemoryBroker, QueuedMessage } from './memory.broker.js';

/**
 * Queues in memory delivered at least once: a handed-out message stays known, under its id, until it is acknowledged;
 * a timer per delivery gives it back when the visibility timeout passes first.
 */
export class AcknowledgedMemoryBroker extends MemoryBroker implements AcknowledgedBroker {
  private readonly logger = new Logger('MemoryBroker');
  /** The messages handed out and not yet acknowledged, by key and id: claimed, or back in the queue. */
  private readonly unsettled = new Map<string, Map<string, QueuedMessage>>();
  private readonly deadLetters: ExpiringMap<Denque<Buffer>>;
  /** How many deliveries of each batch's timer are still unsettled: the timer stops with the last one. */
  private readonly outstanding = new Map<NodeJS.Timeout, number>();
  private lastId = 0;

  constructor(
    private readonly settings: QueueLimits & AcknowledgementSettings,
    events: BrokerEvents,
  ) {
    super(settings, events);
    this.deadLetters = new ExpiringMap(settings.messageTtl, () => new Denque<Buffer>());
  }

  async receive(key: string, options: AcknowledgingReceiveOptions): Promise<Delivery[]> {
    options.signal?.throwIfAborted();
    if (options.ack?.length) {
      await this.ack(key, options.ack);
    }
    return super.receive(key, options);
  }

  /** Hands messages out under fresh receipts, due for an acknowledgement within the visibility timeout, together. */
  protected override deliver(key: string, messages: QueuedMessage[]): Delivery[] {
    const unsettled = this.unsettled.get(key) ?? new Map<string, QueuedMessage>();
    this.unsettled.set(key, unsettled);
    const deliveries = messages.map((queued) => {
      queued.id ??= String(++this.lastId);
      queued.nonce = newNonce();
      queued.deliveries++;
      unsettled.set(queued.id, queued);
      return { message: queued.message, receipt: formatReceipt(queued.id, queued.nonce), deliveryCount: queued.deliveries };
    });
    this.claimFor(key, messages, this.settings.visibilityTimeout);
    return deliveries;
  }

  /** Claims messages for `ms` under one timer, which gives back those still under it then. */
  private claimFor(key: string, messages: QueuedMessage[], ms: number): void {
    const visibility = setTimeout(() => {
      this.outstanding.delete(visibility);
      this.comeBack(key, messages.filter((queued) => queued.visibility === visibility));
    }, ms).unref();
    this.outstanding.set(visibility, messages.length);
    messages.forEach((queued) => (queued.visibility = visibility));
  }

  async ack(key: string, receipts: string[]): Promise<void> {
    this.forget(key, this.settle(key, receipts));
  }

  async release(key: string, receipts: string[]): Promise<void> {
    this.comeBack(key, this.settle(key, receipts));
  }

  async extend(key: string, receipts: string[], visibility: number): Promise<void> {
    this.claimFor(key, this.settle(key, receipts), visibility);
  }

  async deadLetterCount(key: string): Promise<number> {
    return this.deadLetters.get(key)?.length ?? 0;
  }

  async readDeadLetters(key: string, offset: number, limit: number): Promise<Buffer[]> {
    return this.deadLetters.get(key)?.toArray().slice(offset, offset + limit) ?? [];
  }

  async requeueDeadLetters(key: string): Promise<number> {
    const letters = this.deadLetters.get(key)?.toArray() ?? [];
    this.deadLetters.delete(key);
    letters.forEach((message) => this.append(key, { message, deliveries: 0 }));
    return letters.length;
  }

  async purgeDeadLetters(key: string): Promise<number> {
    const count = await this.deadLetterCount(key);
    this.deadLetters.delete(key);
    return count;
  }

  override async close(): Promise<void> {
    await super.close();
    this.outstanding.forEach((_, visibility) => clearTimeout(visibility));
    this.deadLetters.stopExpiring();
  }

  /** The claimed messages the receipts name, no longer due to come back; all of them, or a ReceiptRefusedError. */
  private settle(key: string, receipts: string[]): QueuedMessage[] {
    const refusals: ReceiptRefusal[] = [];
    const settled = receipts.flatMap((receipt) => {
      const { id, nonce } = parseReceipt(receipt);
      const queued = this.unsettled.get(key)?.get(id);
      if (!queued) {
        refusals.push({ receipt, reason: 'unknown' });
      } else if (queued.nonce !== nonce || !queued.visibility) {
        refusals.push({ receipt, reason: 'expired' });
      }
      return queued ? [queued] : [];
    });
    if (refusals.length > 0) {
      throw new ReceiptRefusedError(refusals);
    }
    settled.forEach((queued) => {
      const left = this.outstanding.get(queued.visibility!)! - 1;
      if (left === 0) {
        clearTimeout(queued.visibility);
        this.outstanding.delete(queued.visibility!);
      } else {
        this.outstanding.set(queued.visibility!, left);
      }
      queued.visibility = undefined;
    });
    return settled;
  }

  private forget(key: string, messages: QueuedMessage[]): void {
    const unsettled = this.unsettled.get(key);
    messages.forEach((queued) => unsettled?.delete(queued.id!));
    if (unsettled?.size === 0) {
      this.unsettled.delete(key);
    }
  }

  /** Messages whose delivery ended unacknowledged: delivered again, or dead letters after `maxDeliveries`. */
  private comeBack(key: string, messages: QueuedMessage[]): void {
    messages.forEach((queued) => (queued.visibility = undefined));
    const dead = messages.filter(({ deliveries }) => deliveries >= this.settings.maxDeliveries);
    if (dead.length > 0) {
      const letters = this.deadLetters.write(key);
      dead.forEach((queued) => letters.push(queued.message));
      this.forget(key, dead);
      this.logger.warn(deadLetterWarning(key, dead.length, this.settings.maxDeliveries));
      this.events.deadLettered(dead.length);
    }
    this.giveBack(key, messages.filter((queued) => !dead.includes(queued)));
  }
}
