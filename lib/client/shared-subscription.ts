import type { MessageInfo } from './channel-event.js';
import { decode } from './messages.js';
import { channelPositions } from './poll-target.js';
import type { BodyFormat, MessageOf } from './poll-options.interface.js';
import type { SubscribeOptions, Subscription } from './subscribe.js';

/** What the tabs of one browser tell each other about one registration, on its BroadcastChannel. */
type Note =
  /** A tab's subscription and what it waits on (again when a new leader asks). */
  | { kind: 'hello'; tab: string; endpoints: string[] }
  | { kind: 'bye'; tab: string }
  /** A new leader asks every tab to say hello. */
  | { kind: 'leader' }
  /** A message the leader received, for every tab subscribed to its endpoint. */
  | { kind: 'message'; seq: string; endpoint: string; body: Uint8Array; id?: string }
  /** A tab is done with a message (its onMessage returned, resolved, or threw). */
  | { kind: 'done'; tab: string; seq: string };

/** Whether this runtime can share one poll between its tabs (Web Locks and BroadcastChannel). */
export function canShare(): boolean {
  return typeof navigator !== 'undefined' && navigator.locks !== undefined && typeof BroadcastChannel !== 'undefined';
}

/**
 * One poll per browser and registration, shared by its tabs (`share: true`): the tabs of an origin elect one of them
 * (a Web Lock named after the registration's URL) to hold one multiplexed poll for the union of their endpoints, and
 * it hands each message to every tab subscribed to its endpoint (a BroadcastChannel). The leader acknowledges a message
 * (at least once), and moves past it, once every tab it went to is done with it; a tab that closes, its lock released,
 * counts as done. When the leader closes, the next tab in the lock's queue takes over at once, from the position in each
 * channel that it saw last.
 */
export function sharedSubscribe<F extends BodyFormat>(
  base: string,
  endpoints: readonly string[],
  { onMessage, onError, signal, as, ...options }: SubscribeOptions<F>,
  subscribeAlone: (url: string, options: SubscribeOptions<'bytes'>) => Subscription,
): Subscription {
  const name = `pistachio:${new URL(base, location.href).href}`;
  const tab = crypto.randomUUID();
  const hub = new BroadcastChannel(name);
  const tabs = new Map<string, string[]>();
  let mine = [...endpoints];
  /** The position in each channel of the messages seen, to resume from when this tab leads. */
  const { after } = options;
  const positions = after === undefined ? new Map<string, string>() : after.includes('~') ? channelPositions(after) : new Map([[endpoints[0], after]]);
  /** Given one endpoint's URL, `lastId` is that channel's id, as without sharing. */
  const single = options.endpoints === undefined;
  let leading: Subscription | undefined;
  let closed = false;
  let resolveClosed!: () => void;
  const closing = new Promise<void>((resolve) => (resolveClosed = resolve));
  /** This tab's messages one at a time, in order. */
  let handling = Promise.resolve();
  /** The leader's messages on their way to tabs, by seq (unique across leaders): the tabs not yet done with each. */
  const awaited = new Map<string, { tabs: Set<string>; done(): void }>();
  let seq = 0;
  /** Ends this tab's requests for locks (to lead, to learn of a tab's end) when it closes. */
  const leaving = new AbortController();
  const watched = new Set<string>();
  let failure: { error: unknown } | undefined;

  const post = (note: Note) => hub.postMessage(note);
  const union = () => [...new Set([...mine, ...[...tabs.values()].flat()])];
  const sayHello = () => post({ kind: 'hello', tab, endpoints: mine });

  /** Hands a message to this tab's onMessage, in turn; a throw ends this tab's subscription. */
  const handle = (endpoint: string, body: Uint8Array, id: string | undefined): Promise<void> => {
    if (id !== undefined) {
      positions.set(endpoint, id);
    }
    handling = handling.then(async () => {
      if (closed || !mine.includes(endpoint)) {
        return;
      }
      const info: MessageInfo = { endpoint, ...(id !== undefined && { id }) };
      try {
        await onMessage(decode(body, as) as MessageOf<F>, info);
      } catch (error) {
        failure = { error };
        close();
      }
    });
    return handling;
  };

  /** A tab is done with a message, or gone: the leader moves on once all it went to are. */
  const settle = (from: string, which?: string) => {
    for (const [at, waiting] of awaited) {
      if (which === undefined || which === at) {
        waiting.tabs.delete(from);
        if (waiting.tabs.size === 0) {
          waiting.done();
        }
      }
    }
  };

  /** The leader's fan-out: to this tab and every other subscribed to the endpoint; resolves once all are done. */
  const fanOut = async (body: Uint8Array, { endpoint, id }: MessageInfo) => {
    const at = `${tab}:${++seq}`;
    const others = [...tabs].filter(([, of]) => of.includes(endpoint!)).map(([other]) => other);
    const othersDone = new Promise<void>((done) => {
      awaited.set(at, { tabs: new Set(others), done });
      others.forEach(watchTab);
      if (others.length === 0) {
        done();
      }
    });
    post({ kind: 'message', seq: at, endpoint: endpoint!, body, id });
    await Promise.all([handle(endpoint!, body, id), othersDone]);
    awaited.delete(at);
  };

  /** A tab that closed without a goodbye (its page killed) releases its lock: it counts as gone. */
  const watchTab = (other: string) => {
    if (watched.has(other)) {
      return;
    }
    watched.add(other);
    navigator.locks
      .request(`${name}:tab:${other}`, { signal: leaving.signal }, async () => {
        watched.delete(other);
        if (tabs.has(other)) {
          tabs.delete(other);
          settle(other);
          leading?.setEndpoints(union());
        }
      })
      .catch(() => undefined);
  };

  hub.onmessage = ({ data }: MessageEvent<Note>) => {
    switch (data.kind) {
      case 'hello':
        tabs.set(data.tab, data.endpoints);
        leading?.setEndpoints(union());
        break;
      case 'bye':
        tabs.delete(data.tab);
        settle(data.tab);
        leading?.setEndpoints(union());
        break;
      case 'leader':
        sayHello();
        break;
      case 'message':
        void handle(data.endpoint, data.body, data.id).then(() => post({ kind: 'done', tab, seq: data.seq }));
        break;
      case 'done':
        settle(data.tab, data.seq);
        break;
    }
  };

  // This tab's own lock, held while it lives: the leader learns of its end by being granted it.
  void navigator.locks.request(`${name}:tab:${tab}`, () => closing);
  // In line to lead; granted at once to the first tab, and to the next when the leader goes.
  const led = navigator.locks.request(name, { signal: leaving.signal }, async () => {
    if (closed) {
      return;
    }
    post({ kind: 'leader' });
    const cursor = [...positions].map(([channel, id]) => `${channel}~${id}`).join(',');
    leading = subscribeAlone(base, {
      ...options,
      endpoints: union(),
      ...(cursor !== '' && { after: cursor }),
      as: 'bytes',
      onMessage: fanOut,
      onError: (error) => {
        failure = { error };
        close();
      },
    });
    await Promise.race([leading.done, closing]);
    leading.close();
    await leading.done;
  }).catch(() => undefined);
  sayHello();

  function close(): void {
    if (closed) {
      return;
    }
    closed = true;
    post({ kind: 'bye', tab });
    resolveClosed();
    leaving.abort();
    hub.close();
  }
  signal?.addEventListener('abort', close, { once: true });
  if (signal?.aborted) {
    close();
  }
  addEventListener('pagehide', close, { once: true });

  const done = (async () => {
    await closing;
    await led;
    await handling;
    if (failure) {
      if (!onError) {
        throw failure.error;
      }
      onError(failure.error);
    }
  })();
  return {
    close,
    done,
    get lastId() {
      if (single) {
        return positions.get(mine[0]);
      }
      return positions.size === 0 ? undefined : [...positions].map(([channel, id]) => `${channel}~${id}`).join(',');
    },
    setEndpoints(list) {
      mine = [...list];
      sayHello();
      leading?.setEndpoints(union());
    },
  };
}
