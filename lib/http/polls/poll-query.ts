import { InvalidQueryError } from '../../errors/index.js';
import type { ResolvedPistachioOptions } from '../../interfaces/index.js';
import { MIN_REQUEST_TIMEOUT } from '../../pistachio.constants.js';
import { parseReceipt } from '../../receipt.js';

/** How long a poll waits and for how many messages (`?timeout=`, `?max=`), checked: a 400 that says why otherwise. */
export interface WaitQuery {
  /** Milliseconds to wait (`?timeout=`): from MIN_REQUEST_TIMEOUT up to the module's timeout, which is the default. */
  timeout: number;
  /** `?max=N`: a batch of up to N messages as multipart/mixed; undefined for a single message. */
  max: number | undefined;
}

export function parseWaitQuery(
  { timeout, max }: Record<string, unknown>,
  options: Pick<ResolvedPistachioOptions, 'timeout' | 'maxBatch'>,
): WaitQuery {
  return {
    timeout: timeout === undefined ? options.timeout : wholeNumber(timeout, MIN_REQUEST_TIMEOUT, options.timeout, 'timeout', ' milliseconds'),
    max: max === undefined ? undefined : wholeNumber(max, 1, options.maxBatch, 'max', ''),
  };
}

/** `?ack=r1,r2`: the receipts to acknowledge before polling, checked (none when absent). */
export function parseAcks(ack: unknown, maxBatch: number): string[] {
  if (ack === undefined) {
    return [];
  }
  const list = typeof ack === 'string' ? ack.split(',') : [];
  if (list.length === 0 || list.length > maxBatch) {
    throw new InvalidQueryError('ack', `must list 1 to ${maxBatch} receipts, separated by commas`);
  }
  list.forEach((receipt) => parseReceipt(receipt));
  return list;
}

function wholeNumber(value: unknown, min: number, max: number, name: string, unit: string): number {
  const number = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max)) {
    throw new InvalidQueryError(name, `must be a whole number${unit ? ` of${unit}` : ''} from ${min} to ${max}`);
  }
  return number;
}
