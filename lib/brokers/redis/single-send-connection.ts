import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { addressOf } from './redis-connection.js';

/** The connection dropped after the command went out and before its reply came: Redis may or may not have run it. */
export class ReplyLostError extends Error {
  constructor() {
    super('The Redis connection dropped before the reply came');
  }
}

/** The command did not go out: the connection was not ready for it. Sending it again is safe. */
export class NotSentError extends Error {}

/** The error message of ioredis for a command it refused to queue, having no connection to send it on. */
const NOT_WRITABLE = "Stream isn't writeable";

/**
 * How long a command may wait for its reply (beyond the time it blocks for) before its connection counts as dead: a
 * network that drops packets without closing the connection would otherwise hold it until TCP gives up, many minutes.
 */
const REPLY_TIMEOUT_MS = 5_000;
/** How often a connection looks for overdue replies. */
const WATCH_EVERY_MS = 1_000;

/** What a connection needs to be a SingleSendConnection: nothing queued while offline, nothing sent again. */
export const SINGLE_SEND_OPTIONS = { enableOfflineQueue: false, autoResendUnfulfilledCommands: false } as const;

export interface SendOptions {
  /** Milliseconds the command blocks in Redis (a BLPOP's timeout) before it answers. Default 0. */
  blocksFor?: number;
}

export interface WaitForReady extends SendOptions {
  /** Ends the wait with its reason. */
  signal?: AbortSignal;
  /** Ends the wait with a timeout error after so many milliseconds (its timer starts only if there is a wait). */
  within?: number;
}

/**
 * A Redis connection that sends each command once at most. By default ioredis sends a command again when a dropped
 * connection lost its reply, and so runs it twice (a second pop, a second append); here such a command rejects with
 * ReplyLostError, and the caller decides. A connection that stops answering is replaced, with the same outcome for
 * the commands it held. Open the connection with SINGLE_SEND_OPTIONS.
 */
export class SingleSendConnection {
  private readonly logger = new Logger(SingleSendConnection.name);
  /** The commands sent and not yet answered: their rejecters, with when their reply is overdue. */
  private readonly unanswered = new Map<(error: Error) => void, number>();
  private lastLook = Date.now();
  private corked = false;

  constructor(readonly redis: Redis) {
    redis.on('close', () => {
      const lost = new ReplyLostError();
      this.unanswered.forEach((_, reject) => reject(lost));
      this.unanswered.clear();
    });
    const watch = setInterval(() => this.replaceIfSilent(), WATCH_EVERY_MS).unref();
    redis.once('end', () => clearInterval(watch));
  }

  /** Whether a command sent now goes out at once (the test that ioredis makes). */
  get ready(): boolean {
    return this.redis.status === 'ready' && this.redis.stream?.writable === true;
  }

  /** Sends `command` now; rejects with NotSentError when the connection is not ready. */
  send<T>(command: (redis: Redis) => Promise<T>, { blocksFor = 0 }: SendOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.unanswered.set(reject, Date.now() + blocksFor + REPLY_TIMEOUT_MS);
      this.coalesceWrites();
      command(this.redis).then(
        (reply) => {
          this.unanswered.delete(reject);
          resolve(reply);
        },
        (error: Error) => {
          this.unanswered.delete(reject);
          reject(error.message?.startsWith(NOT_WRITABLE) ? new NotSentError() : error);
        },
      );
    });
  }

  /**
   * Sends `command` once the connection is ready, waiting through a reconnect as long as `signal` and `within` allow.
   * `command` may be called more than once, but only one call's command reaches Redis.
   */
  async sendWhenReady<T>(
    command: (redis: Redis) => Promise<T>,
    { signal, within, blocksFor }: WaitForReady = {},
  ): Promise<T> {
    let waitEnds: AbortSignal | undefined;
    for (;;) {
      if (!this.ready) {
        const deadline = within === undefined ? [] : [AbortSignal.timeout(within)];
        waitEnds ??= AbortSignal.any([...deadline, ...(signal ? [signal] : [])]);
        await this.whenReady(waitEnds);
      }
      try {
        return await this.send(command, { blocksFor });
      } catch (error) {
        if (!(error instanceof NotSentError)) {
          throw error;
        }
      }
    }
  }

  /**
   * Holds the socket's writes until the event loop has run the I/O callbacks that are ready: the commands of many
   * polls and publishes then leave in one write instead of a syscall each. A command held when the connection drops
   * fails like one whose reply was lost, which is what the caller assumes anyway.
   */
  private coalesceWrites(): void {
    const stream = this.redis.stream;
    if (this.corked || !stream) {
      return;
    }
    this.corked = true;
    stream.cork();
    setImmediate(() => {
      this.corked = false;
      stream.uncork();
    });
  }

  /** Closes the connection, politely when it can: QUIT waits for the replies still to come. */
  async close(): Promise<void> {
    if (this.ready) {
      await this.redis.quit();
    } else {
      this.redis.disconnect();
    }
  }

  /** Drops the connection (ioredis then reconnects) when a reply is overdue: the network under it has gone silent. */
  private replaceIfSilent(): void {
    const now = Date.now();
    const sinceLastLook = now - this.lastLook;
    this.lastLook = now;
    // After a stalled event loop, replies may sit unread in the socket: look again once they have been read.
    if (sinceLastLook > 2 * WATCH_EVERY_MS) {
      return;
    }
    for (const overdue of this.unanswered.values()) {
      if (overdue < now) {
        this.logger.warn(`Redis at ${addressOf(this.redis)} gave no reply in time: the connection is replaced`);
        this.redis.stream?.destroy();
        return;
      }
    }
  }

  private whenReady(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const settle = (outcome: () => void) => () => {
        this.redis.off('ready', onReady).off('end', onEnd);
        signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const onReady = settle(resolve);
      const onEnd = settle(() => reject(new Error('The Redis connection is closed')));
      const onAbort = settle(() => reject(signal!.reason));
      this.redis.on('ready', onReady).on('end', onEnd);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
