/** A message claimed for the consumer: extended by `visibility` ms at a time while the consumer works on it. */
export interface Claim {
  visibility?: number;
}

/**
 * Keeps the claims of an answer's messages while the consumer works through them (a long `onMessage`, or the later
 * messages of a batch): every half of the visibility timeout the answer gave (`Pistachio-Visibility-Timeout`), each
 * claim not yet done is extended by another whole one, so that it is not delivered again meanwhile. A failed
 * extension is tried again at the next turn. It stops when the consumer's signal aborts, and never keeps a Node process
 * alive by itself (an iterator dropped while its consumer held a message did).
 */
export class ClaimKeeper<T extends Claim> {
  private readonly held: Set<T>;
  private readonly timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    claims: T[],
    extend: (claim: T, visibility: number) => Promise<unknown>,
    private readonly signal?: AbortSignal,
  ) {
    this.held = new Set(claims.filter(({ visibility }) => visibility !== undefined && visibility > 0));
    const visibility = Math.min(...[...this.held].map((claim) => claim.visibility!));
    if (this.held.size > 0 && !signal?.aborted) {
      this.timer = setInterval(() => this.held.forEach((claim) => void extend(claim, claim.visibility!).catch(() => undefined)), visibility / 2);
      // Browsers' timers are numbers, without unref.
      (this.timer as { unref?: () => void }).unref?.();
      signal?.addEventListener('abort', this.stop);
    }
  }

  /** The consumer is done with `claim`: it is acknowledged next, not extended. */
  done(claim: T): void {
    this.held.delete(claim);
    if (this.held.size === 0) {
      this.stop();
    }
  }

  readonly stop = (): void => {
    clearInterval(this.timer);
    this.signal?.removeEventListener('abort', this.stop);
  };
}
