import type { Delivery, PollOutcome } from './poll.js';
import { StreamFailedError } from './poll-errors.js';
import type { BodyFormat, PollOptions } from './poll-options.interface.js';
import { channelPositions, PollTarget } from './poll-target.js';
import type { Transport } from './transport.js';

/** What an event of a stream carries: a message (as text, or base64 when it is not UTF-8), or a gap. */
type Kind = 'text' | 'binary' | 'gap';

/**
 * The loop's messages as server-sent events (`transport: 'sse'`): one EventSource on the target's URL at a time, each
 * event an outcome of its own, in order, as if a poll had answered it. The loop opens every stream itself, from the
 * cursor it is at (`?after=`): at once after one that ran and ended (its time was up, the network failed), with backoff
 * after one that did not open. EventSource's own reconnect is not used: it would send its first URL again, whose
 * `?after=` the server prefers to `Last-Event-ID`, and a browser's says neither why it failed nor when it retries.
 */
export class EventStreamTransport implements Transport {
  /** Events and ends come as they come; each becomes an outcome when the loop asks for it (a gap names the cursor then). */
  private readonly arrived: (() => PollOutcome)[] = [];
  private wake: (() => void) | undefined;
  /** Closes the open stream; undefined when none is open. */
  private stop: (() => void) | undefined;

  constructor(
    private readonly target: PollTarget,
    private readonly options: PollOptions<BodyFormat>,
    private readonly EventSource: typeof globalThis.EventSource,
  ) {}

  /** The next event, or how the stream ended; opens one from the cursor once everything the last one sent was taken. */
  async next(): Promise<PollOutcome> {
    if (this.arrived.length === 0 && this.stop === undefined) {
      this.open();
    }
    while (this.arrived.length === 0) {
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    return this.arrived.shift()!();
  }

  close(): void {
    this.stop?.();
  }

  private open(): void {
    // Aborted when the loop ends or its list of endpoints changes (the loop then opens a stream of the new list).
    const { signal, end } = this.target.begin(this.options.signal);
    const source = new this.EventSource(this.target.pollUrl(undefined, []), { withCredentials: this.options.credentials === 'include' });
    let opened = false;
    const stop = (this.stop = () => {
      source.close();
      signal.removeEventListener('abort', aborted);
      end();
      this.stop = undefined;
    });
    const aborted = () => {
      stop();
      this.push(() => ({ failure: signal.reason }));
    };
    source.addEventListener('open', () => (opened = true));
    source.addEventListener('error', (event) => {
      stop();
      // One that ran is followed by another at once, as a poll is by the next; `code` is the status, where told.
      this.push(() => (opened ? { deliveries: [], gaps: [] } : { failure: new StreamFailedError((event as Event & { code?: number }).code) }));
    });
    for (const { type, endpoint, kind } of eventTypes(this.target.named)) {
      source.addEventListener(type, (event: MessageEvent<string>) => this.push(() => this.outcomeOf(event, endpoint, kind)));
    }
    signal.addEventListener('abort', aborted, { once: true });
    if (signal.aborted) {
      aborted();
    }
  }

  private push(outcome: () => PollOutcome): void {
    this.arrived.push(outcome);
    this.wake?.();
  }

  /** An event as a poll's answer would have said it; a gap's `after` is the cursor the loop is at, as a poll's. */
  private outcomeOf({ data, lastEventId }: MessageEvent<string>, endpoint: string | undefined, kind: Kind): PollOutcome {
    if (kind === 'gap') {
      return { deliveries: [], gaps: [{ after: this.target.cursor, resumedAt: data, ...(endpoint !== undefined && { endpoint }) }] };
    }
    const body = kind === 'binary' ? Uint8Array.from(atob(data), (char) => char.charCodeAt(0)) : new TextEncoder().encode(data);
    // A broadcast event's id: one channel's id, or on a stream of several the multiplexed cursor (the channel's id in it).
    const position = lastEventId === '' ? undefined : lastEventId;
    const delivery: Delivery =
      endpoint === undefined ? { body, id: position } : { body, endpoint, cursor: position, id: position && channelPositions(position).get(endpoint) };
    return { deliveries: [delivery], gaps: [] };
  }
}

/**
 * The types of the events of a stream of `endpoints` (none: a stream of one endpoint), each with the endpoint and kind
 * it names, as the server writes them: none (`message`), `binary`, `gap`; on a stream of several, `<endpoint>`,
 * `<endpoint>~binary`, `<endpoint>~gap`.
 */
function eventTypes(endpoints: readonly string[]): { type: string; endpoint?: string; kind: Kind }[] {
  const typesOf = (endpoint?: string) =>
    (['text', 'binary', 'gap'] as const).map((kind) => ({
      type: [endpoint, kind === 'text' ? undefined : kind].filter((part) => part !== undefined).join('~') || 'message',
      endpoint,
      kind,
    }));
  return endpoints.length === 0 ? typesOf() : endpoints.flatMap(typesOf);
}
