import { InvalidCursorError } from '../errors/index.js';

/** The id before any message: a cursor of it reads a channel from the oldest message it retains. */
export const ORIGIN = '0-0';

/** `<milliseconds>-<sequence>`, as Redis writes stream entry ids. */
const ID = /^(\d{1,20})-(\d{1,20})$/;
/** The largest sequence number of a Redis stream id (an unsigned 64-bit integer). */
const MAX_SEQUENCE = 18_446_744_073_709_551_615n;

export function isChannelId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

/** The id as given, or an InvalidCursorError when no channel message could carry it. */
export function parseCursor(cursor: unknown): string {
  if (!isChannelId(cursor)) {
    throw new InvalidCursorError(cursor);
  }
  return cursor;
}

/** Below zero when `a` comes before `b`, zero when they are the same id, above zero when after. */
export function compareIds(a: string, b: string): number {
  const [ms, sequence] = parts(a);
  const [otherMs, otherSequence] = parts(b);
  return ms === otherMs ? sign(sequence - otherSequence) : sign(ms - otherMs);
}

/** The id right before `id`: a channel whose floor it is knows of nothing before its first message. */
export function predecessor(id: string): string {
  const [ms, sequence] = parts(id);
  return sequence > 0n ? `${ms}-${sequence - 1n}` : `${ms - 1n}-${MAX_SEQUENCE}`;
}

/** The id after `last` at `now`, as Redis makes them: the clock's milliseconds, or `last`'s with the next sequence. */
export function nextId(last: string | undefined, now: number): string {
  if (last !== undefined) {
    const [ms, sequence] = parts(last);
    if (BigInt(now) <= ms) {
      return `${ms}-${sequence + 1n}`;
    }
  }
  return `${now}-0`;
}

function parts(id: string): [bigint, bigint] {
  const dash = id.indexOf('-');
  return [BigInt(id.slice(0, dash)), BigInt(id.slice(dash + 1))];
}

function sign(difference: bigint): number {
  return difference === 0n ? 0 : difference < 0n ? -1 : 1;
}
