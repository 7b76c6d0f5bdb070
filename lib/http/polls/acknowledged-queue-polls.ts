import { Injectable } from '@nestjs/common';
import { ReceiptRefusal, ReceiptRefusedError } from '../../errors/index.js';
import type { EndpointDelivery } from '../../interfaces/index.js';
import type { PistachioAcknowledgedQueue } from '../../pistachio-acknowledged-queue.js';
import { endpointReceipt } from '../../receipt.js';
import { receiptsByEndpoint } from './poll-query.js';
import { QueuePoll, QueuePolls } from './queue-polls.js';

/** Polls of queues delivered at least once: each answer carries its receipts, and a poll may acknowledge the last. */
@Injectable()
export class AcknowledgedQueuePolls extends QueuePolls {
  declare protected readonly queue: PistachioAcknowledgedQueue;

  /** Refused acknowledgements end the request before anything is taken. */
  protected override async receive(endpoints: string[], { timeout, max, acks }: QueuePoll, departure: AbortSignal): Promise<EndpointDelivery[]> {
    const receipts = receiptsByEndpoint(acks, endpoints);
    if (endpoints.length === 1) {
      return this.receiveFrom(endpoints, { timeout, signal: departure, max, ...(acks.length > 0 && { ack: receipts.get(endpoints[0]) }) });
    }
    await this.acknowledge(receipts);
    return this.receiveFrom(endpoints, { timeout, signal: departure, max });
  }

  /** Acknowledges the receipts of several endpoints, all or none per endpoint; a refusal names each refused receipt. */
  private async acknowledge(receipts: Map<string, string[]>): Promise<void> {
    const groups = [...receipts];
    const outcomes = await Promise.allSettled(groups.map(([endpoint, ofEndpoint]) => this.queue.ack(endpoint, ofEndpoint)));
    const refusals: ReceiptRefusal[] = [];
    const settled: string[] = [];
    outcomes.forEach((outcome, i) => {
      const [endpoint] = groups[i];
      if (outcome.status === 'fulfilled') {
        settled.push(endpoint);
      } else if (outcome.reason instanceof ReceiptRefusedError) {
        refusals.push(...outcome.reason.refusals.map(({ receipt, reason }) => ({ receipt: endpointReceipt(endpoint, receipt), reason })));
      }
    });
    const failed = outcomes.find((outcome) => outcome.status === 'rejected' && !(outcome.reason instanceof ReceiptRefusedError));
    if (failed) {
      throw (failed as PromiseRejectedResult).reason;
    }
    if (refusals.length > 0) {
      throw new ReceiptRefusedError(refusals, settled);
    }
  }
}
