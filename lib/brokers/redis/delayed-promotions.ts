/** How long a promotion that failed (Redis away) waits before it is tried again. */
const RETRY_MS = 1_000;

/**
 * Moves delayed messages into their queue as they come due. The instance that published one keeps a timer per key for
 * the key's next due message, and then runs the promote script, whose answer says when the next one is due; if that
 * instance is gone, a take for waiters brings them in (the sweep finds them within a second), as does the next take
 * of the queue.
 */
export class DelayedPromotions {
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();

  /** `promote` moves what is due of a key and answers in how many ms its next delayed message is due, -1 for none. */
  constructor(private readonly promote: (key: string) => Promise<number>) {}

  /** A message of `key` comes due in `ms`. */
  schedule(key: string, ms: number): void {
    const at = Date.now() + ms;
    const scheduled = this.timers.get(key);
    if (scheduled && scheduled.at <= at) {
      return;
    }
    clearTimeout(scheduled?.timer);
    this.timers.set(key, { at, timer: setTimeout(() => void this.run(key), ms).unref() });
  }

  close(): void {
    this.timers.forEach(({ timer }) => clearTimeout(timer));
    this.timers.clear();
  }

  private async run(key: string): Promise<void> {
    this.timers.delete(key);
    const next = await this.promote(key).catch(() => RETRY_MS);
    if (next >= 0) {
      this.schedule(key, Math.max(next, 1));
    }
  }
}
