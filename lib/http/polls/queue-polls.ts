import { Inject, Injectable } from '@nestjs/common';
import { AtLeastOnceRequiredError } from '../../errors/index.js';
import type { Delivery, ResolvedPistachioOptions } from '../../interfaces/index.js';
import { PISTACHIO_MODE_API, PISTACHIO_OPTIONS } from '../../pistachio.constants.js';
import type { PistachioQueue } from '../../pistachio-queue.js';
import type { AnsweredMessage, EndpointPolls, PollAnswer } from './endpoint-polls.interface.js';
import { parseAcks, parseWaitQuery, WaitQuery } from './poll-query.js';

export interface QueuePoll extends WaitQuery {
  /** `?ack=r1,r2`: the receipts to acknowledge before receiving. */
  acks: string[];
}

/** Polls of queues delivered at most once: each message goes to one poll; messages whose client left go back. */
@Injectable()
export class QueuePolls implements EndpointPolls<QueuePoll> {
  constructor(
    @Inject(PISTACHIO_MODE_API) protected readonly queue: PistachioQueue,
    @Inject(PISTACHIO_OPTIONS) protected readonly options: ResolvedPistachioOptions,
  ) {}

  parse(query: Record<string, unknown>): QueuePoll {
    return { ...parseWaitQuery(query, this.options), acks: parseAcks(query.ack, this.options.maxBatch) };
  }

  async answer(endpoint: string, poll: QueuePoll, departure: AbortSignal, delivered: () => Promise<boolean>): Promise<PollAnswer | undefined> {
    const deliveries = await this.receive(endpoint, poll, departure);
    if (deliveries.length === 0) {
      return undefined;
    }
    // Delivered once written; a client that leaves before that gives at-most-once messages back.
    void this.queue.handOver(endpoint, deliveries, delivered());
    return { messages: deliveries.map(answered), batch: poll.max !== undefined, headers: {} };
  }

  /** At most once `?ack=` is refused here, once the poll is authorized: a refused one learns nothing of the registration. */
  protected receive(endpoint: string, { timeout, max, acks }: QueuePoll, departure: AbortSignal): Promise<Delivery[]> {
    if (acks.length > 0) {
      throw new AtLeastOnceRequiredError('Acknowledging');
    }
    return this.queue.receiveDeliveries(endpoint, { timeout, signal: departure, max });
  }
}

function answered({ message, receipt, deliveryCount }: Delivery): AnsweredMessage {
  const headers: Record<string, string> =
    receipt === undefined ? {} : { 'Pistachio-Receipt': receipt, 'Pistachio-Delivery-Count': String(deliveryCount) };
  return { message, headers };
}
