import type { WakeListener, WakeSubscriptions } from '../../redis/wake-subscriptions.js';
import type { BrokerReceiveOptions } from '../broker.interface.js';
import { Waiters } from '../waiters.js';

/** What one take brought, and whether it left the key with nothing to take. */
export interface Taken<T> {
  taken: T[];
  emptied: boolean;
}

/** How a queue broker takes messages from a key of Redis for its waiters, and gives back what none could take. */
/** A receive's place in line on a key, from its arrival until it joins the waiters or leaves with what it took. */
export interface Place<T> {
  /** Joins the waiters once every receive that came before has joined them or left (see WaitedKeys.wait). */
  wait(options: BrokerReceiveOptions & { serveNow?: boolean }): Promise<T[] | null>;
  /** Leaves the line (done, or failed) without waiting; the receives after it go on. */
  leave(): void;
}

export interface KeyTaker<T> {
  /** Takes up to `max` from `key` in one round trip (a pop, a claim); fewer when there are not that many. */
  take(key: string, max: number): Promise<Taken<T>>;
  /** Gives back what was taken for a waiter that had gone meanwhile, uncounted. */
  giveBack(key: string, taken: T[]): Promise<void>;
  /** A take failed: ends the waits on a key that cannot be read, or logs; the key is tried again later. */
  failed(key: string, error: unknown): void;
  /** Which of `keys` hold something to take, in a command per master (see KeySweep). */
  holding(keys: string[]): Promise<string[]>;
}

/**
 * How often each waited key is looked at without a wake-up (and taken from, if it holds something): for messages that
 * other clients pushed (no wake-up unless the master has keyspace notifications on), claims whose visibility timeout
 * passed, and wake-ups lost in a fault.
 */
const SERVE_EVERY_MS = 1_000;
/**
 * How often the sweep looks for keys due: each key is due on its own clock, a second after it was last served, so
 * that 10,000 waiting keys are not all tried in the same turn of the event loop.
 */
const SWEEP_EVERY_MS = 250;
/** How long a key stays subscribed with nobody waiting on it: a poll that comes back costs nothing. */
const KEEP_WATCHING_MS = 1_000;

/**
 * The delivery core of the queue brokers on Redis, the same for both delivery modes. Receives wait in a local FIFO per
 * key (so a waiting poll costs an entry and a timer, and those of one instance are served in the order they came);
 * this instance takes for the oldest waiter of a key in one round trip whenever the key may have something: when the
 * first waiter comes (unless the key was drained with no wake-up since), when a wake-up says so, after a reconnect,
 * and once a second in any case. The work per message is one wake-up and one take, however many keys wait.
 */
export class WaitedKeys<T> implements WakeListener {
  readonly waiters = new Waiters<T[]>();
  /** The keys being served now; those woken meanwhile are served again. */
  private readonly serving = new Map<string, Promise<void>>();
  private readonly wokenAgain = new Set<string>();
  /** Wake-ups heard per watched key, so that a take knows whether one came while it ran. */
  private readonly wakes = new Map<string, number>();
  /** Watched keys whose last take emptied them with no wake-up since: a new waiter need not ask Redis first. */
  private readonly emptied = new Set<string>();
  /** When each waited key was last served. */
  private readonly servedAt = new Map<string, number>();
  /** The keys subscribed, with when they last had waiters. */
  private readonly watched = new Map<string, number>();
  /** Per key, when the receives that have arrived so far have all joined the waiters or left. */
  private readonly arrivals = new Map<string, Promise<void>>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly subscriptions: WakeSubscriptions,
    private readonly taker: KeyTaker<T>,
  ) {
    this.sweep = setInterval(() => this.sweepKeys(), SWEEP_EVERY_MS).unref();
  }

  /** The commands connection is back: what was published or came due while it was down went unheard. */
  reconnected(): void {
    this.emptied.clear();
    [...this.waiters.keys()].forEach((key) => this.serve(key));
  }

  /**
   * Waits in line for up to `max` items of `key`; served at once when alone on a key that may have something, or when
   * `serveNow` says so. Resolves to what the oldest-waiter takes brought, or `null` at the timeout.
   */
  private wait(key: string, options: BrokerReceiveOptions & { serveNow?: boolean }): Promise<T[] | null> {
    const alone = !this.waiters.has(key);
    const waiting = this.waiters.wait(key, options);
    this.join(key, options.serveNow || (alone && !this.emptied.has(key)));
    return waiting;
  }

  /**
   * Waits in line on several keys at once, behind the receives that came before on each, for what one take of one of
   * them brings; served at once on each key where it is alone and that may have something. Null at the timeout.
   */
  async waitAny(keys: string[], options: BrokerReceiveOptions): Promise<{ key: string; value: T[] } | null> {
    await Promise.all(keys.map((key) => this.arrivals.get(key)));
    const alone = keys.map((key) => !this.waiters.has(key));
    const waiting = this.waiters.waitAny(keys, options);
    keys.forEach((key, i) => this.join(key, alone[i] && !this.emptied.has(key)));
    return waiting;
  }

  /** A waiter joined `key`: it is watched, and served now when `serveNow` says so. */
  private join(key: string, serveNow: boolean): void {
    this.watched.set(key, Date.now());
    if (serveNow) {
      this.serve(key);
    }
    // Once subscribed, take again: a publish may have come before the subscription did.
    void this.subscriptions.watch(key, this).then((subscribedNow) => subscribedNow && this.serve(key));
  }

  /**
   * Takes a place in line on `key`. A receive that takes for itself before waiting (its reply may come after a later
   * receive joined the waiters) keeps its place meanwhile, so that those of one instance are served in the order they came.
   */
  arrive(key: string): Place<T> {
    const ahead = this.arrivals.get(key);
    let leave!: () => void;
    const left = new Promise<void>((resolve) => (leave = resolve));
    const line = ahead ? ahead.then(() => left) : left;
    this.arrivals.set(key, line);
    void line.then(() => this.arrivals.get(key) === line && this.arrivals.delete(key));
    return {
      wait: async (options) => {
        await ahead;
        const waiting = this.wait(key, options);
        leave();
        return waiting;
      },
      leave,
    };
  }

  /** Whether receives wait on `key` here, are in line to, or a take for them is on its way. */
  busy(key: string): boolean {
    return this.waiters.has(key) || this.serving.has(key) || this.arrivals.has(key);
  }

  /** Whether the last take emptied `key`, with no wake-up since: a new waiter need not ask Redis. */
  drained(key: string): boolean {
    return this.emptied.has(key);
  }

  /** Wake-ups heard on `key` so far, to compare before and after a take of the caller's own. */
  wakesOf(key: string): number {
    return this.wakes.get(key) ?? 0;
  }

  /**
   * A take of the caller's own found `key` empty, with no wake-up since `wakesBefore`: new waiters need not ask. Kept
   * only where a wake-up will undo it: on a watched key, or one the caller waits on next (`waitsNext`).
   */
  drainedSince(key: string, wakesBefore: number, waitsNext = true): void {
    if ((waitsNext || this.watched.has(key)) && this.wakesOf(key) === wakesBefore) {
      this.emptied.add(key);
    }
  }

  /** This instance put messages back on `key` (taken for a client that left, or released): it is not drained. */
  refilled(key: string): void {
    this.emptied.delete(key);
  }

  /** Takes for the waiters of `key`, oldest first, while there are waiters and messages; one run per key at a time. */
  serve(key: string): void {
    if (!this.waiters.has(key)) {
      return;
    }
    if (this.serving.has(key)) {
      this.wokenAgain.add(key);
      return;
    }
    this.servedAt.set(key, Date.now());
    const run = (async () => {
      do {
        this.wokenAgain.delete(key);
        while (this.waiters.has(key)) {
          const wanted = this.waiters.wantedBy(key);
          const wakesBefore = this.wakesOf(key);
          const take = await this.taker.take(key, wanted).catch((error: unknown) => {
            this.taker.failed(key, error);
            return undefined;
          });
          if (take?.emptied) {
            this.drainedSince(key, wakesBefore);
          }
          if (!take?.taken.length) {
            break;
          }
          if (!this.waiters.hand(key, take.taken)) {
            await this.taker.giveBack(key, take.taken);
          }
        }
      } while (this.wokenAgain.has(key));
    })().finally(() => this.serving.delete(key));
    this.serving.set(key, run);
  }

  woken(key: string): void {
    this.wakes.set(key, this.wakesOf(key) + 1);
    this.emptied.delete(key);
    this.serve(key);
  }

  missed(key: string): void {
    this.woken(key);
  }

  /** Stops sweeping and listening, and lets the takes in progress settle (what nobody takes is given back). */
  async close(): Promise<void> {
    clearInterval(this.sweep);
    this.watched.forEach((_, key) => this.subscriptions.unwatch(key, this));
    this.watched.clear();
    await Promise.all(this.serving.values());
  }

  private sweepKeys(): void {
    const now = Date.now();
    // Due a tick early, so that no key waits longer than SERVE_EVERY_MS between two tries.
    const due = now - (SERVE_EVERY_MS - SWEEP_EVERY_MS);
    const swept: string[] = [];
    for (const key of this.waiters.keys()) {
      if ((this.servedAt.get(key) ?? 0) <= due) {
        this.servedAt.set(key, now);
        swept.push(key);
      }
    }
    if (swept.length > 0) {
      void this.taker.holding(swept).then(
        (holding) => holding.forEach((key) => this.serve(key)),
        () => undefined,
      );
    }
    for (const [key, wanted] of this.watched) {
      if (this.busy(key)) {
        this.watched.set(key, now);
      } else if (now - wanted >= KEEP_WATCHING_MS) {
        this.watched.delete(key);
        this.servedAt.delete(key);
        this.wakes.delete(key);
        this.emptied.delete(key);
        this.subscriptions.unwatch(key, this);
      }
    }
  }
}
