import { setTimeout as delay } from 'node:timers/promises';
import { EventStreamClient, ReceivedEvent } from './event-stream-client.js';

/** How long a subscriber waits before it opens a stream again after one that failed to open (EventSource's `retry`). */
const RETRY_MS = 50;

/**
 * A subscriber on a stream that reconnects whenever its stream ends, as `EventSource` does: with the `Last-Event-ID` of
 * the last event it got, at the URL `target()` gives then (so that a test moves it to another instance).
 */
export class ReconnectingStream {
  private readonly done: ReceivedEvent[] = [];
  private current: EventStreamClient | undefined;
  private stopped = false;
  private readonly loop: Promise<void>;
  /** Streams opened after the first. */
  reconnects = -1;

  /** `from`: the `Last-Event-ID` of its first stream, if any. */
  constructor(
    target: () => string,
    private readonly from?: string,
  ) {
    this.loop = this.run(target);
  }

  /** Every event it got, on all its streams. */
  get received(): ReceivedEvent[] {
    return [...this.done, ...(this.current?.events ?? [])];
  }

  /** Opens no more streams; resolves once the current one has ended (its server closed it) or at once if none runs. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(target: () => string): Promise<void> {
    while (!this.stopped) {
      const lastEventId = this.received.at(-1)?.lastEventId ?? this.from;
      const client = await EventStreamClient.open(target(), lastEventId ? { 'Last-Event-ID': lastEventId } : {}).catch(() => undefined);
      if (client === undefined || client.status !== 200) {
        await client?.ended;
        await delay(RETRY_MS);
        continue;
      }
      this.reconnects++;
      this.current = client;
      await client.ended;
      this.done.push(...client.events);
      this.current = undefined;
    }
  }
}
