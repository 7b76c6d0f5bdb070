interface Delayed {
  due: number;
  message: Buffer;
}

/**
 * The delayed messages of the memory queues until they come due: per key, in the order they will, with one timer for
 * the next, which hands every message then due to `due` in that order.
 */
export class DelayedMessages {
  private readonly byKey = new Map<string, { messages: Delayed[]; timer?: NodeJS.Timeout }>();

  constructor(private readonly due: (key: string, message: Buffer) => void) {}

  /** How many messages of `key` are not due yet. */
  count(key: string): number {
    return this.byKey.get(key)?.messages.length ?? 0;
  }

  add(key: string, message: Buffer, delay: number): void {
    const delayed = this.byKey.get(key) ?? { messages: [] };
    this.byKey.set(key, delayed);
    const due = Date.now() + delay;
    // After every message due at the same time or earlier: ties keep the order of publishing.
    const at = delayed.messages.findIndex((other) => other.due > due);
    delayed.messages.splice(at < 0 ? delayed.messages.length : at, 0, { due, message });
    if (at === 0 || delayed.messages.length === 1) {
      this.arm(key);
    }
  }

  /** Hands on what of `key` is due now, before its timer would: a message published next goes behind it. */
  releaseDue(key: string): void {
    const delayed = this.byKey.get(key);
    if (delayed && delayed.messages[0].due <= Date.now()) {
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
    delayed.timer = setTimeout(() => this.release(key), Math.max(delayed.messages[0].due - Date.now(), 0)).unref();
  }

  private release(key: string): void {
    const delayed = this.byKey.get(key)!;
    const now = Date.now();
    while (delayed.messages.length > 0 && delayed.messages[0].due <= now) {
      this.due(key, delayed.messages.shift()!.message);
    }
    if (delayed.messages.length > 0) {
      this.arm(key);
    } else {
      this.byKey.delete(key);
    }
  }
}
