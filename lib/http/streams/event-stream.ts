import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { formatEvent, formatRetry, HEARTBEAT, ServerSentEvent } from './server-sent-event.js';

export interface EventStreamSettings {
  /** Milliseconds between comment lines, so that proxies keep an idle stream open. */
  heartbeat: number;
  /** Milliseconds a client waits before it reconnects (`retry:`). */
  retry: number;
  /**
   * Bytes waiting for the client (in the stream and the socket's buffer) at which it is behind; behind from one
   * heartbeat to the next without taking anything, it is ended.
   */
  maxBuffered: number;
}

/**
 * The body of a stream answer (`text/event-stream`): events as they come, a comment every `heartbeat` ms, `retry:`
 * first so that the status and headers go at once. Its sender decides how far ahead to write: `room()` tells when what
 * was sent has gone to the socket, `behind` when `maxBuffered` bytes wait. A client behind from one heartbeat to the
 * next that took nothing meanwhile is cut off (what is buffered would keep its socket open); it reconnects and resumes.
 */
export class EventStream extends Readable {
  private readonly heartbeat: NodeJS.Timeout;
  private roomMade: (() => void) | undefined;
  private over = false;
  /** Behind at the last heartbeat, and the client has taken nothing since. */
  private stalled = false;

  constructor(
    private readonly response: ServerResponse,
    private readonly settings: EventStreamSettings,
  ) {
    super({ highWaterMark: 0 });
    // A client that left ends the stream: whoever waits for room learns it.
    response.once('close', () => this.finish());
    response.on('drain', () => (this.stalled = false));
    this.push(formatRetry(settings.retry));
    this.heartbeat = setInterval(() => this.beat(), settings.heartbeat).unref();
  }

  /** Whether it ended: its client left, was cut off, or its time was up. */
  get ended(): boolean {
    return this.over;
  }

  /** Whether the client is `maxBuffered` bytes or more behind. */
  get behind(): boolean {
    return this.readableLength + this.response.writableLength >= this.settings.maxBuffered;
  }

  /** Sends an event; false when the stream has ended. */
  event(event: ServerSentEvent): boolean {
    return this.send(formatEvent(event));
  }

  /** Resolves once everything sent has gone to the socket, and the socket takes more: the moment to take a message. */
  room(): Promise<void> {
    if (this.hasRoom()) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const made = () => {
        if (this.hasRoom() || this.over) {
          this.response.off('drain', made);
          this.roomMade = undefined;
          resolve();
        }
      };
      this.roomMade = made;
      this.response.on('drain', made);
    });
  }

  /** Ends the stream: its client reconnects. */
  finish(): void {
    if (this.over) {
      return;
    }
    this.over = true;
    clearInterval(this.heartbeat);
    this.push(null);
    this.roomMade?.();
  }

  override _read(): void {
    this.stalled = false;
    this.roomMade?.();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.finish();
    callback(error);
  }

  private send(text: string): boolean {
    if (this.over) {
      return false;
    }
    this.push(text);
    return true;
  }

  private beat(): void {
    if (this.stalled && this.behind) {
      this.finish();
      this.response.destroy();
      return;
    }
    this.stalled = this.behind;
    this.send(HEARTBEAT);
  }

  private hasRoom(): boolean {
    return this.readableLength === 0 && !this.response.writableNeedDrain;
  }
}
