import type { IncomingHttpHeaders } from 'node:http';
import { InvalidQueryError } from '../../errors/index.js';
import type { ResolvedPistachioOptions } from '../../interfaces/index.js';
import { MIN_REQUEST_TIMEOUT } from '../../pistachio.constants.js';
import { splitReceipt } from '../../receipt.js';

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

/** Where a broadcast subscriber resumes, unchecked: `?after=`, else the `Last-Event-ID` header (polls and streams). */
export function resumeFrom(query: Record<string, unknown>, headers: IncomingHttpHeaders): unknown {
  return query.after ?? headers['last-event-id'];
}

/** `?visibility=` of an extension: milliseconds from 1 to `maxVisibilityTimeout`, required. */
export function parseVisibility(visibility: unknown, maxVisibilityTimeout: number): number {
  return wholeNumber(visibility, 1, maxVisibilityTimeout, 'visibility', ' milliseconds');
}

/** A receipt of `?ack=`: the endpoint it names (as a multiplexed poll hands receipts out), and the receipt. */
export interface AckedReceipt {
  endpoint?: string;
  receipt: string;
}

/** `?ack=r1,r2`: the receipts to acknowledge before polling, checked (none when absent). */
export function parseAcks(ack: unknown, maxBatch: number): AckedReceipt[] {
  if (ack === undefined) {
    return [];
  }
  const list = typeof ack === 'string' ? ack.split(',') : [];
  if (list.length === 0 || list.length > maxBatch) {
    throw new InvalidQueryError('ack', `must list 1 to ${maxBatch} receipts, separated by commas`);
  }
  return list.map((receipt) => splitReceipt(receipt));
}

/**
 * The receipts of `?ack=` by endpoint: on a poll of one endpoint they may name it; on a multiplexed poll each names
 * one of the poll's endpoints, as the poll handed it out.
 */
export function receiptsByEndpoint(acks: AckedReceipt[], endpoints: string[]): Map<string, string[]> {
  const byEndpoint = new Map<string, string[]>();
  for (const { endpoint = endpoints.length === 1 ? endpoints[0] : undefined, receipt } of acks) {
    if (endpoint === undefined) {
      throw new InvalidQueryError('ack', 'on a multiplexed poll takes each receipt as the poll handed it out, "<endpoint>~<receipt>"');
    }
    if (!endpoints.includes(endpoint)) {
      throw new InvalidQueryError('ack', `names a receipt of "${endpoint}", which this poll does not wait on`);
    }
    byEndpoint.set(endpoint, [...(byEndpoint.get(endpoint) ?? []), receipt]);
  }
  return byEndpoint;
}

function wholeNumber(value: unknown, min: number, max: number, name: string, unit: string): number {
  const number = typeof value === 'string' && /^\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max)) {
    throw new InvalidQueryError(name, `must be a whole number${unit ? ` of${unit}` : ''} from ${min} to ${max}`);
  }
  return number;
}
