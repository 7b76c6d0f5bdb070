/** How a message body is handed to you: `text` (default) as a string, `json` parsed, `bytes` as a Uint8Array. */
export type BodyFormat = 'text' | 'json' | 'bytes';

export type MessageOf<F extends BodyFormat> = F extends 'bytes' ? Uint8Array : F extends 'json' ? unknown : string;

export interface BackoffOptions {
  /** Milliseconds of the first retry's ceiling; each retry doubles it. Default 1000. */
  base?: number;
  /** Milliseconds no retry waits longer than. Default 30 000. */
  cap?: number;
}

/**
 * Messages of a broadcast channel were missed: the server no longer retains those just after the cursor the poll sent
 * (they were trimmed while the client was away, or `after` was too old).
 */
export interface Gap {
  /** The cursor the poll sent (`?after=`); undefined for none. */
  after: string | undefined;
  /** The id of the oldest message the server retains (`Pistachio-Gap`): the next message of its channel handed to you. */
  resumedAt: string;
  /** On a multiplexed poll, the channel whose messages were missed. */
  endpoint?: string;
}

export interface PollOptions<F extends BodyFormat = 'text'> {
  /** Aborting it ends the loop and the pending request at once. */
  signal?: AbortSignal;
  /**
   * A multiplexed poll: the endpoints (queues, or channels) to wait on in one poll, `url` being the route's path (e.g.
   * `https://example.com/push_messages`); 1 to the server's `maxEndpointsPerPoll` (16 unless configured). Each message
   * says its endpoint (`info.endpoint`, `event.endpoint`); `subscribe` can change them as it runs
   * (`subscription.setEndpoints`). In a broadcast registration `after` is then a subscription's `lastId`: the position
   * in each channel.
   */
  endpoints?: readonly string[];
  /** How a message body is handed to you. Default `text`. */
  as?: F;
  /**
   * Ask for batches of up to `max` messages (`?max=N`, 1 to the server's `maxBatch`, 100 unless configured); they are
   * still handed to you one by one, in order. Default: none, one message per poll. In an at-most-once registration the
   * messages of a batch not handed to you when the loop ends are lost; in an at-least-once one they come again.
   */
  max?: number;
  /**
   * Broadcast registrations: the id to start after, e.g. the last one your app persisted (a message's `id`, a
   * subscription's `lastId`). The first poll asks for what the channel published after it (`?after=`), so that nothing
   * it still retains is missed. Default: none, the first poll waits for the next message published. Whatever it
   * starts from, the client then follows the cursor by itself: each poll asks for what follows the last message you are
   * done with. A malformed or unknown id is refused by the server (a PollRefusedError with status 400).
   */
  after?: string;
  /**
   * Broadcast registrations: told when the server no longer retains the messages just after the cursor (a
   * `Pistachio-Gap` answer), before the first message of that answer is handed to you (in every form: `messages`,
   * `events`, `subscribe`). The messages between `gap.after` and `gap.resumedAt` were missed; reload what they would
   * have told you. A throw ends the loop with that error.
   */
  onGap?: (gap: Gap) => void;
  /** Request headers, e.g. `{ Authorization: 'Bearer …' }`, or a function that gives them for each request. */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  /** `fetch`'s credentials mode, e.g. `include` to send cookies cross-origin. */
  credentials?: RequestCredentials;
  /** Exponential backoff with full jitter after server errors and network failures. */
  backoff?: BackoffOptions;
  /** Told of each failure that the loop retries, with the delay it waits first. */
  onRetry?: (error: unknown, delayMs: number) => void;
  /** The `fetch` to use. Default: the global one. */
  fetch?: typeof fetch;
  /** Waits `ms` unless `signal` aborts first. Default: a timer; tests pass their own. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** A number in [0, 1) for the jitter. Default `Math.random`. */
  random?: () => number;
}
