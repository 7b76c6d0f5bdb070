import Denque from 'denque';

interface Delayed {
  due: number;
  message: Buffer;
  /** The message's `ttl`, counted from when it is due; 0 for none. */
  ttl: number;
}

/**
 * The delayed messages of the memory queues until they come due: per key, in the order they will, with one timer for
 * the next, which hands every message then due to `due` in that order.
 */
export class DelayedMessages {
  private readonly byKey = new Map<string, { messages: Denque<Delayed>; timer?: NodeJS.Timeout }>();

  /** `due` gets each message as it comes due, with when it expires (0: never). */
  constructor(private readonly due: (key: string, message: Buffer, expiresAt: number) => void) {}

  /** How many messages of `key` are not due yet. */
  count(key: string): number {
    return this.byKey.get(key)?.messages.length ?? 0;
  }

  add(key: string, message: Buffer, delay: number, ttl = 0): void {
    const delayed = this.byKey.get(key) ?? { messages: new Denque<Delayed>() };
    this.byKey.set(key, delayed);
    const { messages } = delayed;
    const due = Date.now() + delay;
    // After every message due at the same time or earlier (ties keep the order of publishing); mostly the tail.
    let at = messages.length;
    while (at > 0 && messages.peekAt(at - 1)!.due > due) {
      at--;
    }
    if (at === messages.length) {
      messages.push({ due, message, ttl });
    } else {
      messages.splice(at, 0, { due, message, ttl });
    }
    if (at === 0) {
      this.arm(key);
    }
  }

  /** Hands on what of `key` is due now, before its timer would: a message published next goes behind it. */
  releaseDue(key: string): void {
    const delayed = this.byKey.get(key);
    if (delayed && delayed.messages.peekFront()!.due <= Date.now()) {
      this.release(key);
    }
  }

  /** Keeps every delayed message from now on: the timers would only hold the process up. */
  close(): void {
    this.byKey.forEach(({ timer }) => clearTimeout(timer));
  }

  private arm(key: string): void {
    const delayed = this.byKey.get(key)!;
    clearTimeout(delayed.timer);
    delayed.timer = setTimeout(() => this.release(key), Math.max(delayed.messages.peekFront()!.due - Date.now(), 0)).unref();
  }

  private release(key: string): void {
    const delayed = this.byKey.get(key)!;
    const now = Date.now();
    while (!delayed.messages.isEmpty() && delayed.messages.peekFront()!.due <= now) {
      const { due, message, ttl } = delayed.messages.shift()!;
      this.due(key, message, ttl && due + ttl);
    }
    if (delayed.messages.isEmpty()) {
      clearTimeout(delayed.timer);
      this.byKey.delete(key);
    } else {
      this.arm(key);
    }
  }
}
