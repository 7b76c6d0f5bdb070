import { describe, expect, it } from '@jest/globals';
import { RetainedLog } from './retained-log.js';

const message = (id: string) => ({ id, message: Buffer.from(id) });
const ids = (found: ReturnType<RetainedLog['after']>) => (Array.isArray(found) ? found.map(({ id }) => id) : found);

describe('A retained log', () => {
  it('answers the messages after a cursor up to max, none at its head, and keeps the latest `capacity`', () => {
    const log = new RetainedLog(3, '1-0');
    ['2-0', '3-0', '4-0', '5-0'].forEach((id) => log.append(message(id)));

    expect(log.length).toBe(3);
    expect(log.head).toBe('5-0');
    expect(ids(log.after('3-0', 10))).toEqual(['4-0', '5-0']);
    expect(ids(log.after('3-5', 1))).toEqual(['4-0']);
    expect(ids(log.after('5-0', 10))).toEqual([]);
    expect(ids(log.oldest(2))).toEqual(['3-0', '4-0']);
  });

  it('tells a cursor whose next messages it dropped (behind) from the last one dropped, and one past its head (ahead)', () => {
    const log = new RetainedLog(2, '1-0');
    ['2-0', '3-0', '4-0'].forEach((id) => log.append(message(id)));

    expect(log.floor).toBe('2-0');
    expect(ids(log.after('2-0', 10))).toEqual(['3-0', '4-0']);
    expect(log.after('1-9', 10)).toBe('behind');
    expect(log.after('4-1', 10)).toBe('ahead');
  });
});
