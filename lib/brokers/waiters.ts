import { BrokerReceiveOptions } from './broker.interface.js';
import { endOfTurn } from './end-of-turn.js';

interface Waiter<T> {
  /** Most messages the receive takes. */
  max: number;
  /**
   * Ends the wait on every key (nothing can time it out, abort it or hand it another value any more) and answers the
   * resolver of a value from `key`.
   */
  claim(key: string): (value: T) => void;
  fail(error: Error): void;
}

/** How many waiters one turn of the event loop hands a broadcast to: the first answers go out while the rest wait. */
const HAND_EACH_SLICE = 1024;

/**
 * The receives waiting in this process, FIFO per key: a waiting poll costs a set entry and a timer.
 * Each waiter removes itself when it is served, times out or is aborted, so nothing leaks.
 */
export class Waiters<T> {
  private readonly byKey = new Map<string, Set<Waiter<T>>>();

  wait(key: string, options: BrokerReceiveOptions): Promise<T | null> {
    return this.waitOn([key], options, (_, value) => value);
  }

  /** Waits on several keys at once, in line on each: the first that hands it a value ends the wait on all. */
  waitAny(keys: string[], options: BrokerReceiveOptions): Promise<{ key: string; value: T } | null> {
    return this.waitOn(keys, options, (key, value) => ({ key, value }));
  }

  private waitOn<R>(keys: string[], { timeout, signal, max }: BrokerReceiveOptions, result: (key: string, value: T) => R): Promise<R | null> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        return reject(signal.reason);
      }
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        keys.forEach((key) => this.remove(key, waiter));
      };
      const onAbort = () => {
        settle();
        reject(signal!.reason);
      };
      const waiter: Waiter<T> = {
        max,
        claim: (key) => {
          settle();
          return (value) => resolve(result(key, value));
        },
        fail: (error) => {
          settle();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        settle();
        resolve(null);
      }, timeout);
      signal?.addEventListener('abort', onAbort, { once: true });
      keys.forEach((key) => this.add(key, waiter));
    });
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** The keys that have waiters. */
  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }

  /** How many messages the oldest waiter of `key` takes; 0 when nobody waits there. */
  wantedBy(key: string): number {
    return this.oldest(key)?.max ?? 0;
  }

  /**
   * Hands a value to the oldest waiter of `key`; false when nobody waits there. The value is the waiter's at once (no
   * timeout, abort or later value can take it from it); its receive resolves at the end of the turn (see endOfTurn).
   */
  hand(key: string, value: T): boolean {
    const oldest = this.oldest(key);
    if (oldest === undefined) {
      return false;
    }
    const resolve = oldest.claim(key);
    void endOfTurn().then(() => resolve(value));
    return true;
  }

  /**
   * Hands the same value to every waiter of `key` (a broadcast). All are claimed at once, so that no later value can
   * overtake this one; they get it a slice per turn of the event loop, so that thousands do not hold it up.
   */
  handEach(key: string, value: T): void {
    const resolvers = [...(this.byKey.get(key) ?? [])].map((waiter) => waiter.claim(key));
    const handSlice = (from: number) => {
      resolvers.slice(from, from + HAND_EACH_SLICE).forEach((resolve) => resolve(value));
      if (from + HAND_EACH_SLICE < resolvers.length) {
        setImmediate(handSlice, from + HAND_EACH_SLICE);
      }
    };
    handSlice(0);
  }

  /**
   * Hands `items` to the waiters of `key`, oldest first, each as many as it takes (`toValue` makes its value of
   * them); answers those that no waiter took, in order.
   */
  handOut<I>(key: string, items: I[], toValue: (taken: I[]) => T): I[] {
    let rest = items;
    while (rest.length > 0 && this.has(key)) {
      const wanted = this.wantedBy(key);
      this.hand(key, toValue(rest.slice(0, wanted)));
      rest = rest.slice(wanted);
    }
    return rest;
  }

  /** Ends every wait on `key` with `error`. */
  fail(key: string, error: Error): void {
    this.byKey.get(key)?.forEach((waiter) => waiter.fail(error));
  }

  private oldest(key: string): Waiter<T> | undefined {
    return this.byKey.get(key)?.values().next().value;
  }

  private add(key: string, waiter: Waiter<T>): void {
    const waiters = this.byKey.get(key);
    if (waiters) {
      waiters.add(waiter);
    } else {
      this.byKey.set(key, new Set([waiter]));
    }
  }

  private remove(key: string, waiter: Waiter<T>): void {
    const waiters = this.byKey.get(key);
    if (waiters?.delete(waiter) && waiters.size === 0) {
      this.byKey.delete(key);
    }
  }
}
