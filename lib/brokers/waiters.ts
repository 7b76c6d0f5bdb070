import { BrokerReceiveOptions } from './broker.interface.js';

interface Waiter {
  deliver(message: Buffer): void;
  fail(error: Error): void;
}

/**
 * The receives waiting in this process, FIFO per key: a waiting poll costs a set entry and a timer.
 * Each waiter removes itself when it is served, times out or is aborted, so nothing leaks.
 */
export class Waiters {
  private readonly byKey = new Map<string, Set<Waiter>>();

  wait(key: string, { timeout, signal }: BrokerReceiveOptions): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) {
        return reject(signal.reason);
      }
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.remove(key, waiter);
      };
      const onAbort = () => {
        settle();
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        deliver: (message) => {
          settle();
          resolve(message);
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
      this.add(key, waiter);
    });
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /** Hands a message to the oldest waiter of `key`; false when nobody waits there. */
  hand(key: string, message: Buffer): boolean {
    const oldest = this.byKey.get(key)?.values().next().value;
    oldest?.deliver(message);
    return oldest !== undefined;
  }

  /** Ends every wait on `key` with `error`. */
  fail(key: string, error: Error): void {
    this.byKey.get(key)?.forEach((waiter) => waiter.fail(error));
  }

  private add(key: string, waiter: Waiter): void {
    const waiters = this.byKey.get(key);
    if (waiters) {
      waiters.add(waiter);
    } else {
      this.byKey.set(key, new Set([waiter]));
    }
  }

  private remove(key: string, waiter: Waiter): void {
    const waiters = this.byKey.get(key);
    if (waiters?.delete(waiter) && waiters.size === 0) {
      this.byKey.delete(key);
    }
  }
}
