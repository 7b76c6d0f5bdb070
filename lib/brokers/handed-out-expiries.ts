/**
 * When the messages a queue broker handed out expire (their `ttl`), kept by each message's Buffer: a message given
 * back, by the broker or by the route whose client left, keeps its expiry. Weak, so it goes with the Buffer.
 */
export class HandedOutExpiries {
  private readonly expiries = new WeakMap<Buffer, number>();

  /** `message` expires at `expiresAt` (ms since the epoch; 0: never). */
  tag(message: Buffer, expiresAt: number): void {
    if (expiresAt > 0) {
      this.expiries.set(message, expiresAt);
    }
  }

  /** When a message handed out expires; 0 for never, or one this broker did not hand out. */
  of(message: Buffer): number {
    return this.expiries.get(message) ?? 0;
  }

  /** Whether `message`'s expiry passed by `now`. */
  passed(message: Buffer, now: number): boolean {
    const expiresAt = this.of(message);
    return expiresAt !== 0 && expiresAt <= now;
  }
}
