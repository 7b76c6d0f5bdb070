import { IncomingHttpHeaders, IncomingMessage, request } from 'node:http';

/** An event as `EventSource` dispatches it: its type (`message` when none was given), last event id and data. */
export interface ReceivedEvent {
  type: string;
  lastEventId: string;
  data: string;
}

/**
 * A client of a `text/event-stream` answer over a real socket that parses it as the HTML standard says (the parts an
 * `EventSource` exposes, plus the comments and `retry:` it hides), so that tests can wait for events and stop reading.
 */
export class EventStreamClient {
  readonly events: ReceivedEvent[] = [];
  comments = 0;
  retry: number | undefined;
  /** The body of an answer that is not a stream (a 4xx, a 503). */
  body = '';
  readonly ended: Promise<void>;
  private lastEventId = '';
  private pending = '';
  private fields: { type?: string; data: string[] } = { data: [] };
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly response: IncomingMessage,
    private readonly onEvent?: (event: ReceivedEvent) => void,
  ) {
    response.setEncoding('utf8');
    response.on('error', () => undefined); // a stream the server cut ('aborted'): `ended` says it
    this.ended = new Promise((resolve) => response.once('close', () => (this.notify(), resolve())));
    response.on('data', (chunk: string) => (this.isStream ? this.parse(chunk) : (this.body += chunk)));
  }

  /**
   * Opens a stream at `url`; resolves once the answer's status and headers came. `onEvent` hears each event as it is
   * dispatched (a benchmark times them).
   */
  static open(url: string, headers: Record<string, string> = {}, onEvent?: (event: ReceivedEvent) => void): Promise<EventStreamClient> {
    return new Promise((resolve, reject) => {
      // A connection of its own: one the server ended (a client too slow) is never handed to the next stream.
      request(url, { agent: false, headers: { accept: 'text/event-stream', ...headers } }, (response) => resolve(new EventStreamClient(response, onEvent)))
        .on('error', reject)
        .end();
    });
  }

  get status(): number {
    return this.response.statusCode!;
  }

  get headers(): IncomingHttpHeaders {
    return this.response.headers;
  }

  /** Resolves once `count` events came in all; rejects if the stream ends first. */
  async until(count: number): Promise<ReceivedEvent[]> {
    await this.waitFor(() => this.events.length >= count, `${count} events`);
    return this.events.slice(0, count);
  }

  /** Resolves once `count` comments (heartbeats) came. */
  heartbeats(count: number): Promise<void> {
    return this.waitFor(() => this.comments >= count, `${count} heartbeats`);
  }

  /** Stops reading: the socket's buffers fill, as with a client that cannot keep up. */
  pause(): void {
    this.response.pause();
  }

  close(): void {
    this.response.destroy();
  }

  private get isStream(): boolean {
    return this.response.headers['content-type']?.startsWith('text/event-stream') ?? false;
  }

  private async waitFor(condition: () => boolean, what: string): Promise<void> {
    while (!condition()) {
      if (this.response.closed) {
        throw new Error(`The stream ended before ${what} came (${this.events.length} events)`);
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private notify(): void {
    this.waiters.splice(0).forEach((resolve) => resolve());
  }

  private parse(chunk: string): void {
    const lines = (this.pending + chunk).split(/\r\n|\r|\n/);
    this.pending = lines.pop()!;
    for (const line of lines) {
      if (line === '') {
        this.dispatch();
      } else if (line.startsWith(':')) {
        this.comments++;
      } else {
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') {
          this.fields.data.push(value);
        } else if (field === 'event') {
          this.fields.type = value;
        } else if (field === 'id') {
          this.lastEventId = value;
        } else if (field === 'retry' && /^\d+$/.test(value)) {
          this.retry = Number(value);
        }
      }
    }
    this.notify();
  }

  private dispatch(): void {
    const { type = 'message', data } = this.fields;
    this.fields = { data: [] };
    if (data.length > 0) {
      const event = { type, lastEventId: this.lastEventId, data: data.join('\n') };
      this.events.push(event);
      this.onEvent?.(event);
    }
  }
}
