/**
 * The `deduplicationId`s published to each key within the window, in memory. One map in publishing order, so that the
 * ids whose window passed are always at its front: each look forgets them first, whatever their key.
 */
export class DeduplicationWindow {
  /** `<key>\n<id>` (a key has no newline) to the time it is forgotten. */
  private readonly until = new Map<string, number>();

  constructor(private readonly window: number) {}

  /** Whether `id` was recorded for `key` within the window. */
  has(key: string, id: string): boolean {
    this.forgetPassed();
    return this.until.has(`${key}\n${id}`);
  }

  record(key: string, id: string): void {
    this.until.set(`${key}\n${id}`, Date.now() + this.window);
  }

  private forgetPassed(): void {
    const now = Date.now();
    for (const [entry, until] of this.until) {
      if (until > now) {
        return;
      }
      this.until.delete(entry);
    }
  }
}
