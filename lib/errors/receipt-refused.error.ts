import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** Why a receipt cannot settle its delivery: unknown (or already acknowledged), or expired (its message comes again). */
export interface ReceiptRefusal {
  receipt: string;
  reason: 'unknown' | 'expired';
}

const REASONS: Record<ReceiptRefusal['reason'], string> = {
  unknown: 'is unknown or was already acknowledged',
  expired: 'expired: its visibility timeout passed, and the message is or will be delivered again',
};

/**
 * An acknowledgement, release or extension refused as a whole: nothing was settled, nothing popped. Those of a
 * multiplexed poll are settled per endpoint: `settled` names the endpoints whose receipts were.
 */
export class ReceiptRefusedError extends PistachioError {
  override readonly status = HttpStatus.CONFLICT;

  constructor(
    readonly refusals: ReceiptRefusal[],
    readonly settled: string[] = [],
    done = 'acknowledged',
  ) {
    const others = settled.length === 0 ? `nothing was ${done}` : `the receipts of ${settled.map((e) => `"${e}"`).join(', ')} were acknowledged`;
    super(`${refusals.map(({ receipt, reason }) => `Receipt ${receipt} ${REASONS[reason]}`).join('; ')}; ${others}`);
  }
}
