import { Injectable } from '@nestjs/common';
import type { Delivery } from '../../interfaces/index.js';
import type { PistachioAcknowledgedQueue } from '../../pistachio-acknowledged-queue.js';
import { parseAcks, parseWaitQuery, WaitQuery } from './poll-query.js';
import { QueuePolls } from './queue-polls.js';

interface AcknowledgingPoll extends WaitQuery {
  /** `?ack=r1,r2`: the receipts to acknowledge before receiving. */
  acks: string[];
}

/** Polls of queues delivered at least once: each answer carries its receipts, and a poll may acknowledge the last. */
@Injectable()
export class AcknowledgedQueuePolls extends QueuePolls<AcknowledgingPoll> {
  declare protected readonly queue: PistachioAcknowledgedQueue;

  override parse(query: Record<string, unknown>): AcknowledgingPoll {
    return { ...parseWaitQuery(query, this.options), acks: parseAcks(query.ack, this.options.maxBatch) };
  }

  protected override receive(endpoint: string, { timeout, max, acks }: AcknowledgingPoll, departure: AbortSignal): Promise<Delivery[]> {
    // Refused acknowledgements end the request before anything is taken.
    const ack = acks.length > 0 ? acks : undefined;
    return this.queue.receiveDeliveries(endpoint, { timeout, signal: departure, max, ack });
  }
}
