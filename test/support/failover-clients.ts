import { expect } from '@jest/globals';
import type { DeliveryMode } from '../../lib/index.js';
import { AcknowledgingPollers, Received } from './acknowledging-pollers.js';
import { LeavingPollers } from './leaving-pollers.js';
import type { LogCapture } from './log-capture.js';
import { LedgerCounts, MessageLedger } from './message-ledger.js';

/**
 * Clients that poll `urls` in a loop through a fault of Redis, as clients of the delivery mode do (at least once, each
 * poll acknowledging the previous message), and what the mode promises of what they received.
 */
export class FailoverClients {
  private readonly acknowledging?: AcknowledgingPollers;
  private readonly plain?: LeavingPollers;

  constructor(
    private readonly delivery: DeliveryMode,
    urls: string[],
  ) {
    if (delivery === 'at-least-once') {
      this.acknowledging = new AcknowledgingPollers(urls.length, (client) => urls[client]);
    } else {
      this.plain = new LeavingPollers(urls, 0, 0);
    }
  }

  async stop(): Promise<void> {
    await this.acknowledging?.stop();
    await this.plain?.stop();
  }

  /**
   * Settles `ledger` with what the clients received (none left queued), under a title that `describe` makes of the
   * redeliveries and of the takes that the module logged as cut off, and checks the mode's promise: at least once,
   * nothing lost and every duplicate a redelivery; at most once, no duplicate and no loss beyond those takes.
   */
  settle(ledger: MessageLedger, logs: LogCapture, describe: (summary: string) => string): LedgerCounts {
    const received: Received[] = this.acknowledging?.received ?? this.plain!.delivered.map((message) => ({ message, deliveryCount: 1 }));
    received.forEach(({ message }) => ledger.deliver(message));
    const redelivered = received.filter(({ deliveryCount }) => deliveryCount > 1).length;
    const cutOff = logs.count('warn', /dropped during a (pop|claim)/);
    const atLeastOnce = this.delivery === 'at-least-once';
    const counts = ledger.settle(
      describe(`${redelivered} redeliveries, ${cutOff} ${atLeastOnce ? 'claims whose reply was lost' : 'pops lost in flight'}`),
      [],
    );
    expect(counts.unknown).toBe(0);
    if (atLeastOnce) {
      expect(counts.lost).toBe(0);
      // Every duplicate is a redelivery: a message is delivered with count 1 once at most.
      const firsts = received.filter(({ deliveryCount }) => deliveryCount === 1).map(({ message }) => message);
      expect(new Set(firsts).size).toBe(firsts.length);
      expect(counts.duplicated).toBeLessThanOrEqual(redelivered);
    } else {
      expect(counts.lost).toBeLessThanOrEqual(cutOff);
      expect(counts.duplicated).toBe(0);
    }
    return counts;
  }
}
