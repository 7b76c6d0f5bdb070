import { Inject, Injectable } from '@nestjs/common';
import type { ChannelBroker } from './channels/channel-broker.interface.js';
import { parseCursor } from './channels/channel-id.js';
import { startPositions } from './channels/start-positions.js';
import { formatMultiplexedCursor, parseMultiplexedCursor } from './channels/multiplexed-cursor.js';
import { endpointKey } from './endpoint-key.js';
import { assertEndpointList } from './endpoint-name.js';
import { EndpointRotation } from './endpoint-rotation.js';
import type {
  ChannelRead,
  ChannelReadOptions,
  EndpointChannelMessage,
  MultiplexedChannelRead,
  ResolvedPistachioOptions,
} from './interfaces/index.js';
import type { RegistrationMonitor } from './monitoring/registration-monitor.js';
import { PISTACHIO_BROKER, PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from './pistachio.constants.js';
import { Receives } from './receives.js';
import { settleBy } from './redis/settle-by.js';

const NOTHING: ChannelRead = { messages: [], gap: false };

/**
 * Reads the channels of a registration with `mode: 'broadcast'`: every reader gets every message, by cursor. Injected
 * with `@InjectPistachioChannel(name?)`.
 */
@Injectable()
export class PistachioChannel {
  private readonly rotation = new EndpointRotation();

  /** @internal Nest creates it for the registration. */
  constructor(
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_BROKER) private readonly broker: ChannelBroker,
    @Inject(Receives) private readonly receives: Receives,
    @Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor,
  ) {}

  /**
   * Up to `max` messages of the channel `endpoint` after the cursor `after` (the id of the last message read), at once
   * when the channel retains some, else the next one to come; without a cursor, the next message published. Empty when
   * none came within the timeout; `gap` says that messages after the cursor are gone.
   */
  async read(endpoint: string, { after, timeout = this.options.timeout, signal, max = 1 }: ChannelReadOptions = {}): Promise<ChannelRead> {
    const key = this.keyOf(endpoint);
    const cursor = after === undefined ? undefined : parseCursor(after);
    const read = await this.receives.wait([endpoint], { timeout, max, signal }, 'read()', (aborted) =>
      this.broker.read(key, { after: cursor, max, timeout, signal: aborted }),
    );
    this.monitor.delivered(read.messages.length, 0);
    return read;
  }

  /**
   * Up to `max` messages of any of the channels `endpoints` (2 to `maxEndpointsPerPoll`, distinct) after the
   * multiplexed cursor `after` (a message's `cursor`; a channel it does not name is read from now on), each with the
   * cursor that resumes every channel right after it. At once what they retain after it, one from each in turn (from
   * the channel after the one this instance served last for this list), else the first to come on any. Empty when
   * none came within the timeout.
   */
  async readAny(
    endpoints: string[],
    { after, timeout = this.options.timeout, signal, max = 1 }: ChannelReadOptions = {},
  ): Promise<MultiplexedChannelRead> {
    assertEndpointList(endpoints, this.options.maxEndpointsPerPoll);
    const given = after === undefined ? new Map<string, string>() : parseMultiplexedCursor(after);
    const read = await this.receives.wait(endpoints, { timeout, max, signal }, 'readAny()', async (aborted) => {
      const deadline = Date.now() + timeout;
      const positions = await startPositions(this.broker, (endpoint) => this.keyOf(endpoint), endpoints, given);
      const order = this.rotation.order(endpoints);
      const retained = await settleBy(
        Promise.all(order.map((endpoint) => this.broker.readRetained(this.keyOf(endpoint), positions.get(endpoint)!, max))),
        deadline,
        () => undefined,
      );
      const reads = retained?.some((found) => found.messages.length > 0) ? retained : await this.firstToCome(order, positions, deadline, max, aborted);
      return inTurn(order, reads, positions, max);
    });
    this.monitor.delivered(read.messages.length, 0);
    if (read.messages.length > 0) {
      this.rotation.served(endpoints, read.messages[read.messages.length - 1].endpoint);
    }
    return read;
  }

  /**
   * Waits on every channel after its position, until one brings messages (with those that came with it) or all time
   * out; the reads still waiting then are ended.
   */
  private async firstToCome(
    order: string[],
    positions: Map<string, string>,
    deadline: number,
    max: number,
    signal: AbortSignal,
  ): Promise<ChannelRead[]> {
    const done = new AbortController();
    const end = () => done.abort(signal.reason);
    signal.addEventListener('abort', end, { once: true });
    const reads: ChannelRead[] = order.map(() => NOTHING);
    try {
      await new Promise<void>((resolve, reject) => {
        let waiting = order.length;
        order.forEach((endpoint, i) => {
          const reading = this.broker.read(this.keyOf(endpoint), {
            after: positions.get(endpoint),
            max,
            timeout: Math.max(deadline - Date.now(), 0),
            signal: done.signal,
          });
          reading.then(
            (read) => {
              reads[i] = read;
              if (read.messages.length > 0 || --waiting === 0) {
                resolve();
              }
            },
            (error: unknown) => (done.signal.aborted && !signal.aborted ? undefined : reject(error)),
          );
        });
      });
    } finally {
      signal.removeEventListener('abort', end);
      done.abort();
    }
    return reads;
  }

  private keyOf(endpoint: string): string {
    return endpointKey(this.options.namespace, endpoint);
  }
}

/**
 * The reads of the channels (in `order`) as one answer of up to `max`: one message from each in turn, each carrying
 * the positions after it; a gap is told for a channel whose first message made it in.
 */
function inTurn(order: string[], reads: ChannelRead[], positions: Map<string, string>, max: number): MultiplexedChannelRead {
  const messages: EndpointChannelMessage[] = [];
  const gaps: MultiplexedChannelRead['gaps'] = [];
  const longest = Math.max(...reads.map(({ messages: of }) => of.length));
  for (let i = 0; i < longest && messages.length < max; i++) {
    order.forEach((endpoint, at) => {
      const message = reads[at].messages[i];
      if (message && messages.length < max) {
        positions.set(endpoint, message.id);
        messages.push({ ...message, endpoint, cursor: formatMultiplexedCursor(positions) });
        if (i === 0 && reads[at].gap) {
          gaps.push({ endpoint, oldest: message.id });
        }
      }
    });
  }
  return { messages, gaps };
}
