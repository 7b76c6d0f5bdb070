import { isEndpointName } from '../endpoint-name.js';
import { InvalidCursorError } from '../errors/index.js';
import { isChannelId, parseCursor } from './channel-id.js';

/**
 * The position of a multiplexed poll in each of its channels, as one token: `<channel>~<id>` for each, separated by
 * commas (neither can occur in a channel name or an id), e.g. `news~1733560000000-0,alerts~0-0`.
 */
export function formatMultiplexedCursor(positions: Map<string, string>): string {
  return [...positions].map(([channel, id]) => `${channel}~${id}`).join(',');
}

/** Whether `cursor` is a multiplexed cursor at all (rather than one channel's id). */
function isMultiplexedCursor(cursor: string): boolean {
  return cursor.includes('~');
}

/** The position in each channel a multiplexed cursor names; an InvalidCursorError for anything else. */
export function parseMultiplexedCursor(cursor: unknown): Map<string, string> {
  const positions = new Map<string, string>();
  for (const position of typeof cursor === 'string' && cursor !== '' ? cursor.split(',') : [undefined]) {
    const [channel, id, ...rest] = position?.split('~') ?? [];
    if (rest.length > 0 || !isEndpointName(channel) || !isChannelId(id) || positions.has(channel)) {
      throw new InvalidCursorError(cursor, 'pass the Pistachio-Cursor of a multiplexed answer as it came');
    }
    positions.set(channel, id);
  }
  return positions;
}

/**
 * Where a read of `endpoints` resumes from the cursor `after`: a channel's id for one endpoint, a multiplexed cursor
 * for several (a channel it does not name is read from now on). An InvalidCursorError for a malformed cursor, or for
 * one of the other kind, which says which to pass.
 */
export function positionsFor(endpoints: string[], after: unknown): Map<string, string> {
  const multiplexed = typeof after === 'string' && isMultiplexedCursor(after);
  if (multiplexed !== endpoints.length > 1) {
    throw new InvalidCursorError(
      after,
      multiplexed
        ? 'a multiplexed cursor resumes a multiplexed poll: pass the Pistachio-Id of a message of this channel'
        : "a multiplexed poll resumes from the Pistachio-Cursor of its answers, not from one channel's Pistachio-Id",
    );
  }
  return multiplexed ? parseMultiplexedCursor(after) : new Map([[endpoints[0], parseCursor(after)]]);
}
