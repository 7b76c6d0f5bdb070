import { Injectable } from '@nestjs/common';
import type { Delivery } from '../../interfaces/index.js';
import type { PistachioAcknowledgedQueue } from '../../pistachio-acknowledged-queue.js';
import { QueuePoll, QueuePolls } from './queue-polls.js';

/** Polls of queues delivered at least once: each answer carries its receipts, and a poll may acknowledge the last. */
@Injectable()
export class AcknowledgedQueuePolls extends QueuePolls {
  declare protected readonly queue: PistachioAcknowledgedQueue;

  protected override receive(endpoint: string, { timeout, max, acks }: QueuePoll, departure: AbortSignal): Promise<Delivery[]> {
    // Refused acknowledgements end the request before anything is taken.
    const ack = acks.length > 0 ? acks : undefined;
    return this.queue.receiveDeliveries(endpoint, { timeout, signal: departure, max, ack });
  }
}
