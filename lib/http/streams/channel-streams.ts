import { Inject, Injectable } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { ChannelBroker } from '../../channels/channel-broker.interface.js';
import { formatMultiplexedCursor, positionsFor } from '../../channels/multiplexed-cursor.js';
import { startPositions } from '../../channels/start-positions.js';
import { endpointKey } from '../../endpoint-key.js';
import type { ResolvedPistachioOptions } from '../../interfaces/index.js';
import type { RegistrationMonitor } from '../../monitoring/registration-monitor.js';
import { PISTACHIO_BROKER, PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from '../../pistachio.constants.js';
import type { EndpointStreams } from './endpoint-streams.interface.js';
import type { EventStream } from './event-stream.js';
import { resumeFrom } from '../polls/poll-query.js';
import { refusePollQuery } from './stream-query.js';
import { unlessAborted } from './unless-aborted.js';

/**
 * Where each channel of a stream stands: the id of the last message its subscriber got (`Last-Event-ID` or `?after=`:
 * one channel's id, or on a stream of several the multiplexed cursor of its last event).
 */
type ChannelPositions = Map<string, string>;

/**
 * Streams of broadcast channels: every message as an event with its id, read by cursor, so that a stream that ends
 * (the client left, too slow, its lifetime) loses nothing: the client reconnects with `Last-Event-ID`. A stream of
 * several channels reads each on its own and names the channel in each event's type; its ids are multiplexed cursors.
 * It reads up to `STREAM_MAX_BUFFERED` bytes ahead of its client, then waits for it to catch up. A gap (messages after
 * the cursor gone) is a `gap` event whose data is the oldest id retained, as a poll's `Pistachio-Gap`.
 */
@Injectable()
export class ChannelStreams implements EndpointStreams<ChannelPositions> {
  constructor(
    @Inject(PISTACHIO_BROKER) private readonly broker: ChannelBroker,
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor,
  ) {}

  parse(endpoints: string[], query: Record<string, unknown>, headers: IncomingHttpHeaders): ChannelPositions {
    refusePollQuery(query);
    const after = resumeFrom(query, headers);
    return after === undefined ? new Map() : positionsFor(endpoints, after);
  }

  /** A channel that the cursor does not name starts after its latest message. */
  begin(endpoints: string[], given: ChannelPositions): Promise<ChannelPositions> {
    return startPositions(this.broker, (endpoint) => this.keyOf(endpoint), endpoints, given);
  }

  async run(endpoints: string[], positions: ChannelPositions, stream: EventStream, signal: AbortSignal): Promise<void> {
    // A channel whose read fails ends the others' reads: the stream ends, and its client resumes them all.
    const failed = new AbortController();
    const reading = AbortSignal.any([signal, failed.signal]);
    await Promise.all(
      endpoints.map((endpoint) =>
        this.follow(endpoint, endpoints.length > 1, positions, stream, reading).catch((error: unknown) => {
          failed.abort(error);
          throw error;
        }),
      ),
    );
  }

  /** Sends the messages of one channel of the stream as they come; on a stream of several, naming the channel. */
  private async follow(endpoint: string, multiplexed: boolean, positions: ChannelPositions, stream: EventStream, signal: AbortSignal): Promise<void> {
    const key = this.keyOf(endpoint);
    const named = multiplexed ? endpoint : undefined;
    while (!stream.ended && !signal.aborted) {
      const read = await unlessAborted(
        this.broker.read(key, { after: positions.get(endpoint), max: this.options.maxBatch, timeout: this.options.streamMaxDuration, signal }),
        signal,
      );
      if (read === undefined) {
        return;
      }
      if (read.gap) {
        stream.event({ endpoint: named, gap: true, data: Buffer.from(read.messages[0].id) });
      }
      let sent = 0;
      for (const { id, message } of read.messages) {
        positions.set(endpoint, id);
        if (!stream.event({ endpoint: named, id: multiplexed ? formatMultiplexedCursor(positions) : id, data: message })) {
          break;
        }
        sent++;
      }
      this.monitor.delivered(sent, 0);
      if (stream.behind) {
        await stream.room();
      }
    }
  }

  private keyOf(endpoint: string): string {
    return endpointKey(this.options.namespace, endpoint);
  }
}
