import { Inject, Injectable } from '@nestjs/common';
import type { Broker } from '../../brokers/broker.interface.js';
import { endpointKey } from '../../endpoint-key.js';
import type { ResolvedPistachioOptions } from '../../interfaces/index.js';
import type { RegistrationMonitor } from '../../monitoring/registration-monitor.js';
import { PISTACHIO_BROKER, PISTACHIO_MODE_API, PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from '../../pistachio.constants.js';
import type { PistachioQueue } from '../../pistachio-queue.js';
import type { EndpointStreams } from './endpoint-streams.interface.js';
import type { EventStream } from './event-stream.js';
import { refusePollQuery } from './stream-query.js';

/**
 * Streams of a queue delivered at most once: a stream takes a message only once everything it sent has gone to the
 * socket (no read-ahead), so a stream that ends loses at most the message in flight; one that never left the stream
 * goes back to its queue. Streams and polls of one endpoint share its messages, each delivered once.
 */
@Injectable()
export class QueueStreams implements EndpointStreams<void> {
  constructor(
    @Inject(PISTACHIO_BROKER) private readonly broker: Broker,
    @Inject(PISTACHIO_MODE_API) private readonly queue: PistachioQueue,
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor,
  ) {}

  parse(query: Record<string, unknown>): void {
    refusePollQuery(query);
  }

  /** A queue keeps what is published until it is taken: a stream starts whenever it starts. */
  async begin(): Promise<void> {}

  async run(endpoint: string, _: void, stream: EventStream, signal: AbortSignal): Promise<void> {
    const key = endpointKey(this.options.namespace, endpoint);
    while (!stream.ended && !signal.aborted) {
      await stream.room();
      if (stream.ended || signal.aborted) {
        return;
      }
      const deliveries = await this.broker.receive(key, { timeout: this.options.streamMaxDuration, max: 1, signal }).catch((error: unknown) => {
        if (signal.aborted) {
          return [];
        }
        throw error;
      });
      for (const { message } of deliveries) {
        if (!stream.event({ data: message })) {
          await this.queue.requeue(endpoint, message);
          return;
        }
        this.monitor.delivered(1, 0);
        await stream.room();
        if (stream.readableLength > 0) {
          // The stream ended before its event left for the socket: nobody got it.
          await this.queue.requeue(endpoint, message);
          return;
        }
      }
    }
  }
}
