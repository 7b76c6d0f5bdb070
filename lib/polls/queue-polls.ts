import type { Delivery, ResolvedPistachioOptions } from '../interfaces/index.js';
import type { PistachioService } from '../pistachio.service.js';
import type { AnsweredMessage, EndpointPolls, PollAnswer } from './endpoint-polls.interface.js';
import { parseAcks, parseWaitQuery, WaitQuery } from './poll-query.js';

interface QueuePoll extends WaitQuery {
  /** `?ack=r1,r2`: at least once, the receipts to acknowledge before receiving. */
  acks: string[];
}

/** Polls of queues: each message goes to one poll, at least once with its receipt; messages whose client left go back. */
export class QueuePolls implements EndpointPolls<QueuePoll> {
  constructor(
    private readonly pistachio: PistachioService,
    private readonly options: ResolvedPistachioOptions,
  ) {}

  parse(query: Record<string, unknown>): QueuePoll {
    return { ...parseWaitQuery(query, this.options), acks: parseAcks(query.ack, this.options.maxBatch) };
  }

  async answer(
    endpoint: string,
    { timeout, max, acks }: QueuePoll,
    departure: AbortSignal,
    delivered: () => Promise<boolean>,
  ): Promise<PollAnswer | undefined> {
    // Refused acknowledgements end the request before anything is popped.
    const ack = acks.length > 0 ? acks : undefined;
    const deliveries = await this.pistachio.receiveDeliveries(endpoint, { timeout, signal: departure, max, ack });
    if (deliveries.length === 0) {
      return undefined;
    }
    // Delivered once written; a client that leaves before that gives at-most-once messages back.
    void this.pistachio.handOver(endpoint, deliveries, delivered());
    return { messages: deliveries.map(answered), batch: max !== undefined, headers: {} };
  }
}

function answered({ message, receipt, deliveryCount }: Delivery): AnsweredMessage {
  const headers: Record<string, string> =
    receipt === undefined ? {} : { 'Pistachio-Receipt': receipt, 'Pistachio-Delivery-Count': String(deliveryCount) };
  return { message, headers };
}
