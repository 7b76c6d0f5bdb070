import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { ChannelBroker } from '../../channels/channel-broker.interface.js';
import { parseCursor } from '../../channels/channel-id.js';
import { endpointKey } from '../../endpoint-key.js';
import type { ResolvedPistachioOptions } from '../../interfaces/index.js';
import type { RegistrationMonitor } from '../../monitoring/registration-monitor.js';
import { PISTACHIO_BROKER, PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from '../../pistachio.constants.js';
import type { EndpointStreams } from './endpoint-streams.interface.js';
import type { EventStream } from './event-stream.js';
import { resumeFrom } from '../polls/poll-query.js';
import { refusePollQuery } from './stream-query.js';

interface ChannelStream {
  /** `Last-Event-ID` (or `?after=`): the id of the last message the subscriber got; none reads what comes next. */
  after: string | undefined;
}

/**
 * Streams of a broadcast channel: every message as an event with its id, read by cursor, so that a stream that ends
 * (the client left, too slow, its lifetime) loses nothing: the client reconnects with `Last-Event-ID`. It reads up to
 * `STREAM_MAX_BUFFERED` bytes ahead of its client, then waits for it to catch up. A gap (messages
 * after the cursor gone) is an `event: gap` whose data is the oldest id retained, as a poll's `Pistachio-Gap`.
 */
@Injectable()
export class ChannelStreams implements EndpointStreams<ChannelStream> {
  constructor(
    @Inject(PISTACHIO_BROKER) private readonly broker: ChannelBroker,
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor,
  ) {}

  parse(query: Record<string, unknown>, headers: IncomingHttpHeaders): ChannelStream {
    refusePollQuery(query);
    const after = resumeFrom(query, headers);
    return { after: after === undefined ? undefined : parseCursor(after) };
  }

  /** Without a cursor, after the channel's latest message. */
  async begin(endpoint: string, { after }: ChannelStream): Promise<ChannelStream> {
    return { after: after ?? (await this.broker.latest(endpointKey(this.options.namespace, endpoint))) };
  }

  async run(endpoint: string, { after }: ChannelStream, stream: EventStream, signal: AbortSignal): Promise<void> {
    const key = endpointKey(this.options.namespace, endpoint);
    let cursor = after;
    while (!stream.ended && !signal.aborted) {
      const read = await this.broker
        .read(key, { after: cursor, max: this.options.maxBatch, timeout: this.options.streamMaxDuration, signal })
        .catch((error: unknown) => {
          if (signal.aborted) {
            return undefined;
          }
          throw error;
        });
      if (read === undefined) {
        return;
      }
      if (read.gap) {
        stream.event({ event: 'gap', data: Buffer.from(read.messages[0].id) });
      }
      let sent = 0;
      for (const { id, message } of read.messages) {
        if (!stream.event({ id, data: message })) {
          break;
        }
        cursor = id;
        sent++;
      }
      this.monitor.delivered(sent, 0);
      if (stream.behind) {
        await stream.room();
      }
    }
  }
}
