import { InvalidPublishOptionError } from './errors/index.js';
import type { PublishOptions, ResolvedPistachioOptions } from './interfaces/index.js';

const KNOWN: readonly string[] = ['deduplicationId', 'delay', 'ttl'] satisfies (keyof PublishOptions)[];
const MAX_DEDUPLICATION_ID = 128;

/** A publish's options, checked before anything is stored: each known, of a valid value, and one the mode has. */
export function checkPublishOptions(
  options: PublishOptions,
  { mode, maxDelay, messageTtl }: Pick<ResolvedPistachioOptions, 'mode' | 'maxDelay' | 'messageTtl'>,
): void {
  if (options === null || typeof options !== 'object') {
    throw new InvalidPublishOptionError('options', `expected an object, got ${String(options)}`);
  }
  const given = Object.keys(options).filter((option) => options[option as keyof PublishOptions] !== undefined);
  const unknown = given.find((option) => !KNOWN.includes(option));
  if (unknown !== undefined) {
    throw new InvalidPublishOptionError(unknown, `no such option (there are ${KNOWN.join(', ')})`);
  }
  if (mode === 'broadcast' && given.length > 0) {
    throw new InvalidPublishOptionError(given[0], 'queues have it, not broadcast channels');
  }
  const { deduplicationId, delay, ttl } = options;
  if (deduplicationId !== undefined && (typeof deduplicationId !== 'string' || deduplicationId.length < 1 || deduplicationId.length > MAX_DEDUPLICATION_ID)) {
    const got = typeof deduplicationId === 'string' ? `${deduplicationId.length} characters` : String(deduplicationId);
    throw new InvalidPublishOptionError('deduplicationId', `expected a string of 1 to ${MAX_DEDUPLICATION_ID} characters, got ${got}`);
  }
  if (delay !== undefined && !(Number.isInteger(delay) && delay >= 0 && delay <= maxDelay)) {
    throw new InvalidPublishOptionError('delay', `expected a whole number of milliseconds from 0 to maxDelay (${maxDelay}), got ${String(delay)}`);
  }
  if (ttl !== undefined && !(Number.isInteger(ttl) && ttl >= 1 && ttl <= messageTtl)) {
    throw new InvalidPublishOptionError('ttl', `expected a whole number of milliseconds from 1 to messageTtl (${messageTtl}), got ${String(ttl)}`);
  }
}
