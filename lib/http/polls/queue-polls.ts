import { Inject, Injectable } from '@nestjs/common';
import { AtLeastOnceRequiredError } from '../../errors/index.js';
import type { EndpointDelivery, ReceiveDeliveriesOptions, ResolvedPistachioOptions } from '../../interfaces/index.js';
import { PISTACHIO_MODE_API, PISTACHIO_OPTIONS } from '../../pistachio.constants.js';
import type { PistachioQueue } from '../../pistachio-queue.js';
import { endpointReceipt } from '../../receipt.js';
import type { AnsweredMessage, EndpointPolls, PollAnswer } from './endpoint-polls.interface.js';
import { AckedReceipt, parseAcks, parseWaitQuery, WaitQuery } from './poll-query.js';

export interface QueuePoll extends WaitQuery {
  /** `?ack=r1,r2`: the receipts to acknowledge before receiving. */
  acks: AckedReceipt[];
}

/** Polls of queues delivered at most once: each message goes to one poll; messages whose client left go back. */
@Injectable()
export class QueuePolls implements EndpointPolls<QueuePoll> {
  constructor(
    @Inject(PISTACHIO_MODE_API) protected readonly queue: PistachioQueue,
    @Inject(PISTACHIO_OPTIONS) protected readonly options: ResolvedPistachioOptions,
  ) {}

  parse(_: string[], query: Record<string, unknown>): QueuePoll {
    return { ...parseWaitQuery(query, this.options), acks: parseAcks(query.ack, this.options.maxBatch) };
  }

  async answer(endpoints: string[], poll: QueuePoll, departure: AbortSignal, delivered: () => Promise<boolean>): Promise<PollAnswer | undefined> {
    const deliveries = await this.receive(endpoints, poll, departure);
    if (deliveries.length === 0) {
      return undefined;
    }
    // Delivered once written; a client that leaves before that gives at-most-once messages back.
    const written = delivered();
    for (const endpoint of new Set(deliveries.map((delivery) => delivery.endpoint))) {
      void this.queue.handOver(endpoint, deliveries.filter((delivery) => delivery.endpoint === endpoint), written);
    }
    const multiplexed = endpoints.length > 1;
    const messages = deliveries.map((delivery) => answered(delivery, multiplexed, this.options.visibilityTimeout));
    return { messages, batch: poll.max !== undefined, headers: {} };
  }

  /** At most once `?ack=` is refused here, once the poll is authorized: a refused one learns nothing of the registration. */
  protected receive(endpoints: string[], { timeout, max, acks }: QueuePoll, departure: AbortSignal): Promise<EndpointDelivery[]> {
    if (acks.length > 0) {
      throw new AtLeastOnceRequiredError('Acknowledging');
    }
    return this.receiveFrom(endpoints, { timeout, signal: departure, max });
  }

  /** Receives from one endpoint, or from any of several (see PistachioQueue.receiveAny). */
  protected async receiveFrom(endpoints: string[], options: ReceiveDeliveriesOptions): Promise<EndpointDelivery[]> {
    if (endpoints.length > 1) {
      return this.queue.receiveAny(endpoints, options);
    }
    const [endpoint] = endpoints;
    return (await this.queue.receiveDeliveries(endpoint, options)).map((delivery) => ({ ...delivery, endpoint }));
  }
}

/**
 * A delivery as the answer shows it; a multiplexed poll's names its endpoint, and so does its receipt. A claimed one
 * says how long its receipt holds, so that a client can extend it in time.
 */
function answered({ message, receipt, deliveryCount, endpoint }: EndpointDelivery, multiplexed: boolean, visibility: number): AnsweredMessage {
  const headers: Record<string, string> = multiplexed ? { 'Pistachio-Endpoint': endpoint } : {};
  if (receipt !== undefined) {
    headers['Pistachio-Receipt'] = multiplexed ? endpointReceipt(endpoint, receipt) : receipt;
    headers['Pistachio-Delivery-Count'] = String(deliveryCount);
    headers['Pistachio-Visibility-Timeout'] = String(visibility);
  }
  return { message, headers };
}
