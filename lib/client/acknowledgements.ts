/**
 * The receipts of messages the consumer is done with, until the server has them: they ride on the next poll
 * (`?ack=`), and whatever is left when the loop ends goes as `DELETE`s. Only the loop touches it, one step at a time,
 * so nothing is added while a poll carrying `receipts` is on its way.
 */
export class Acknowledgements {
  private pending: string[] = [];

  /** `send` DELETEs one receipt and resolves false when it is worth sending again. */
  constructor(private readonly send: (receipt: string) => Promise<boolean>) {}

  /** What the next poll acknowledges. */
  get receipts(): readonly string[] {
    return this.pending;
  }

  /** The consumer is done with a message; one without a receipt (at-most-once) has nothing to acknowledge. */
  add(receipt: string | undefined): void {
    if (receipt !== undefined) {
      this.pending.push(receipt);
    }
  }

  /** The poll that carried the receipts was answered (200 or 504): the server has them. */
  accepted(): void {
    this.pending = [];
  }

  /**
   * The server refused the poll's receipts (409) and so took none of them. A single one is the refused one: dropped
   * (its message comes again, or was acknowledged already). Of several, each goes alone, so that one stale receipt
   * does not cost the others.
   */
  async refused(): Promise<void> {
    if (this.pending.length === 1) {
      this.pending = [];
    } else {
      await this.sendEach();
    }
  }

  /** The loop ends: every pending receipt goes as a DELETE; those that fail are given up (their messages come again). */
  async flush(): Promise<void> {
    await this.sendEach();
  }

  /** DELETEs the pending receipts that the next poll cannot carry; those that fail are given up. */
  async sendThose(which: (receipt: string) => boolean): Promise<void> {
    const those = this.pending.filter(which);
    if (those.length > 0) {
      this.pending = this.pending.filter((receipt) => !which(receipt));
      await Promise.all(those.map((receipt) => this.send(receipt)));
    }
  }

  /** DELETEs each pending receipt, and keeps those worth sending again. */
  private async sendEach(): Promise<void> {
    const settled = await Promise.all(this.pending.map((receipt) => this.send(receipt)));
    this.pending = this.pending.filter((_, i) => !settled[i]);
  }
}
