import { MessageInfo } from './channel-event.js';
import { followTarget } from './messages.js';
import { PollTarget, routeOf } from './poll-target.js';
import { canShare, sharedSubscribe } from './shared-subscription.js';
import { transportFor } from './transport.js';
import { BodyFormat, MessageOf, PollOptions } from './poll-options.interface.js';

export interface SubscribeOptions<F extends BodyFormat = 'text'> extends PollOptions<F> {
  /**
   * Called with each message, in order, and what is known of it (its `id` in a broadcast registration); the next poll
   * waits for a promise it returns. In an at-least-once registration the message is acknowledged once it returns or its
   * promise resolves; in a broadcast one the cursor (and `lastId`) moves past it then. When it throws or rejects, neither
   * happens (an unacknowledged message comes again after the server's visibility timeout) and the loop ends.
   */
  onMessage(message: MessageOf<F>, info: MessageInfo): void | Promise<void>;
  /** Called once with what ended the loop: a PollRefusedError, a body that would not decode, or a throw of onMessage. */
  onError?(error: unknown): void;
  /**
   * One poll per browser and registration, shared by its tabs: the tabs of an origin elect one (Web Locks) to poll
   * the union of their endpoints, with its headers and cookies, and it hands each message to every tab subscribed to
   * its endpoint (BroadcastChannel): the browser is one consumer. When the leader tab closes another takes over at
   * once. At least once a message is acknowledged once every tab it went to is done with it; at most once, a message the
   * leader had taken but not handed on when it closed is lost; broadcast resumes from the position each tab saw.
   * Without Web Locks or BroadcastChannel (older browsers, Node) the subscription polls on its own. Default `false`.
   */
  share?: boolean;
  /**
   * How messages come: `poll` (default), long polls; `sse`, a server-sent-event stream (EventSource) that the server
   * keeps open and writes each message to; `auto`, a stream where there is an EventSource and the options need nothing
   * a stream cannot do (`headers`, `fetch`, `credentials: 'omit'`), else polls; and polls for the rest of the
   * subscription, from its cursor, when its first stream does not open (refused, e.g. 406 at least once, or failed).
   * The same callbacks, cursor, `setEndpoints` and `share` either way. A stream that ended is reopened from the cursor
   * at once, one that did not open with backoff (a browser's EventSource does not say why). `sse` where it cannot stream
   * throws a TypeError at once. A stream sends each message as it comes (`max` does not apply): at most once, those it
   * delivered that were not handed to you yet when the subscription ends are lost, as a batch's.
   */
  transport?: 'poll' | 'sse' | 'auto';
  /** The EventSource to stream with. Default: the global one (browsers); in Node, pass one, e.g. the eventsource package's. */
  EventSource?: typeof globalThis.EventSource;
}

export interface Subscription {
  /** Ends the loop and its pending request. */
  close(): void;
  /**
   * Settles when the loop has ended, after the acknowledgements still pending were sent (or failed); rejects with the
   * error when no `onError` was given.
   */
  readonly done: Promise<void>;
  /**
   * Broadcast registrations: the id of the last message onMessage finished with (returned, or its promise resolved), or
   * the `after` option until then; with `endpoints`, the position in each channel. Persist it (e.g. once the loop is
   * done) and pass it as `after` to resume where this subscription left off. Undefined in a queue registration, unless
   * `after` was given.
   */
  readonly lastId: string | undefined;
  /**
   * With the `endpoints` option: polls these from now on. A poll waiting on the old list ends and the next asks for the
   * new one at once; nothing is lost (what the server took for the poll goes back to its queue; pending
   * acknowledgements ride on the next poll, or go as DELETEs for the endpoints left; channels kept resume from their
   * position).
   */
  setEndpoints(endpoints: readonly string[]): void;
}

/** The callback form of {@link messages}: `const subscription = subscribe(url, { onMessage })`. */
export function subscribe<F extends BodyFormat = 'text'>(
  url: string | URL,
  { onMessage, onError, signal, share = false, ...options }: SubscribeOptions<F>,
): Subscription {
  // Checked here, shared or not: a transport that cannot be had throws to the caller, not in the shared leader's loop.
  const transport = transportFor(options);
  if (share && canShare()) {
    const { route, endpoint } = options.endpoints ? { route: String(url), endpoint: undefined } : routeOf(url);
    const endpoints = options.endpoints ?? [endpoint!];
    return sharedSubscribe(route, endpoints, { onMessage, onError, signal, ...options }, subscribe);
  }
  const controller = new AbortController();
  if (signal?.aborted) {
    controller.abort();
  }
  signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const target = new PollTarget(url, options.endpoints, options.after);
  const loopOptions = { ...options, signal: controller.signal } as PollOptions<F>;
  const loop = followTarget(target, loopOptions, transport(target, loopOptions));
  const done = (async () => {
    try {
      for (let next = await loop.next(); !next.done; ) {
        const event = next.value;
        // A gap went to onGap already; a failed onMessage is thrown back into the loop, which then leaves its message
        // unacknowledged (the cursor not moved past it) and ends.
        next = await (event.type === 'gap'
          ? loop.next()
          : Promise.resolve(event)
              .then(({ message, id, endpoint }) => onMessage(message, { id, ...(endpoint !== undefined && { endpoint }) }))
              .then(
                () => loop.next(),
                (error: unknown) => loop.throw(error),
              ));
      }
    } catch (error) {
      if (!onError) {
        throw error;
      }
      onError(error);
    }
  })();
  return {
    close: () => controller.abort(),
    done,
    get lastId() {
      return target.cursor;
    },
    setEndpoints: (endpoints) => target.setEndpoints(endpoints),
  };
}
