import { isEndpointName } from '../endpoint-name.js';
import { InvalidCursorError } from '../errors/index.js';
import { isChannelId } from './channel-id.js';

/**
 * The position of a multiplexed poll in each of its channels, as one token: `<channel>~<id>` for each, separated by
 * commas (neither can occur in a channel name or an id), e.g. `news~1733560000000-0,alerts~0-0`.
 */
export function formatMultiplexedCursor(positions: Map<string, string>): string {
  return [...positions].map(([channel, id]) => `${channel}~${id}`).join(',');
}

/** Whether `cursor` is a multiplexed cursor at all (rather than one channel's id). */
export function isMultiplexedCursor(cursor: string): boolean {
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
