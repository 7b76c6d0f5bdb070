import { describe, expect, it } from '@jest/globals';
import { InvalidCursorError } from '../errors/index.js';
import { compareIds, nextId, parseCursor, predecessor } from './channel-id.js';

describe('Channel ids', () => {
  it('order by milliseconds, then by sequence, as numbers', () => {
    expect(compareIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareIds('10-2', '10-10')).toBeLessThan(0);
    expect(compareIds('10-10', '10-10')).toBe(0);
    expect(compareIds('11-0', '10-18446744073709551615')).toBeGreaterThan(0);
  });

  it('go on after the last one: the next sequence within a millisecond (or a clock gone back), else the new time', () => {
    expect(nextId(undefined, 1_000)).toBe('1000-0');
    expect(nextId('1000-0', 1_000)).toBe('1000-1');
    expect(nextId('1000-4', 999)).toBe('1000-5');
    expect(nextId('1000-4', 1_001)).toBe('1001-0');
  });

  it('know the id right before one, across a millisecond too', () => {
    expect(predecessor('1000-3')).toBe('1000-2');
    expect(predecessor('1000-0')).toBe('999-18446744073709551615');
    expect(compareIds(predecessor('1000-0'), '1000-0')).toBeLessThan(0);
  });

  it('parse a cursor of two whole numbers, refusing anything else with an InvalidCursorError', () => {
    expect(parseCursor('1764460000000-3')).toBe('1764460000000-3');
    for (const bad of ['', '12', '1-2-3', '-1-2', 'a-1', '1-', ' 1-2', `${'9'.repeat(21)}-0`, 12, ['1-2'], undefined]) {
      expect(() => parseCursor(bad)).toThrow(InvalidCursorError);
    }
  });
});
