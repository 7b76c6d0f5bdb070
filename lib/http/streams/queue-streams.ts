import { Inject, Injectable } from '@nestjs/common';
import type { Broker } from '../../brokers/broker.interface.js';
import type { KeyedDelivery } from '../../brokers/receive-any.js';
import { endpointKey } from '../../endpoint-key.js';
import { EndpointRotation } from '../../endpoint-rotation.js';
import type { ResolvedPistachioOptions } from '../../interfaces/index.js';
import type { RegistrationMonitor } from '../../monitoring/registration-monitor.js';
import { PISTACHIO_BROKER, PISTACHIO_MODE_API, PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from '../../pistachio.constants.js';
import type { PistachioQueue } from '../../pistachio-queue.js';
import type { EndpointStreams } from './endpoint-streams.interface.js';
import type { EventStream } from './event-stream.js';
import { refusePollQuery } from './stream-query.js';
import { unlessAborted } from './unless-aborted.js';

/**
 * Streams of queues delivered at most once: a stream takes a message only once everything it sent has gone to the
 * socket (no read-ahead), so a stream that ends loses at most the message in flight; one that never left the stream
 * goes back to its queue. Streams and polls of one endpoint share its messages, each delivered once. A stream of
 * several endpoints takes from them in turn (as a multiplexed poll does) and names the endpoint in each event's type.
 */
@Injectable()
export class QueueStreams implements EndpointStreams<void> {
  constructor(
    @Inject(PISTACHIO_BROKER) private readonly broker: Broker,
    @Inject(PISTACHIO_MODE_API) private readonly queue: PistachioQueue,
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor,
  ) {}

  parse(_: string[], query: Record<string, unknown>): void {
    refusePollQuery(query);
  }

  /** A queue keeps what is published until it is taken: a stream starts whenever it starts. */
  async begin(): Promise<void> {}

  async run(endpoints: string[], _: void, stream: EventStream, signal: AbortSignal): Promise<void> {
    const endpointOf = new Map(endpoints.map((endpoint) => [endpointKey(this.options.namespace, endpoint), endpoint]));
    const keys = [...endpointOf.keys()];
    const rotation = new EndpointRotation();
    while (!stream.ended && !signal.aborted) {
      await stream.room();
      if (stream.ended || signal.aborted) {
        return;
      }
      const delivery = await unlessAborted(this.takeOne(rotation.order(keys), signal), signal);
      if (delivery === undefined) {
        continue;
      }
      const endpoint = endpointOf.get(delivery.key)!;
      rotation.served(keys, delivery.key);
      if (!stream.event({ endpoint: endpoints.length > 1 ? endpoint : undefined, data: delivery.message })) {
        await this.queue.requeue(endpoint, delivery.message);
        return;
      }
      this.monitor.delivered(1, 0);
      await stream.room();
      if (stream.readableLength > 0) {
        // The stream ended before its event left for the socket: nobody got it.
        await this.queue.requeue(endpoint, delivery.message);
        return;
      }
    }
  }

  /** The next message of any of `keys` (the first in `order` that has one), waiting up to the stream's lifetime. */
  private async takeOne(keys: string[], signal: AbortSignal): Promise<KeyedDelivery | undefined> {
    const options = { timeout: this.options.streamMaxDuration, max: 1, signal };
    const [delivery] =
      keys.length === 1 ? (await this.broker.receive(keys[0], options)).map((taken) => ({ ...taken, key: keys[0] })) : await this.broker.receiveAny(keys, options);
    return delivery;
  }
}
