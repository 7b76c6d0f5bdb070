import { describe, expect, it } from '@jest/globals';
import type { Delivery } from '../interfaces/index.js';
import { takeInTurn } from './receive-any.js';

/** Keys holding the messages given, taken from as a broker would; records what each take asked for. */
function source(queued: Record<string, string[]>, failing: string[] = []) {
  const asked: string[] = [];
  return {
    asked,
    takeNow: async (key: string, count: number): Promise<Delivery[]> => {
      asked.push(`${key}:${count}`);
      if (failing.includes(key)) {
        throw new Error(`${key} failed`);
      }
      return (queued[key] ?? []).splice(0, count).map((message) => ({ message: Buffer.from(message), deliveryCount: 1 }));
    },
  };
}

const shown = (deliveries: { key: string; message: Buffer }[]) => deliveries.map(({ key, message }) => `${key}:${message}`);

describe('takeInTurn', () => {
  it('asks each key for its share and answers one from each in turn, each key in order', async () => {
    const keys = source({ a: ['a1', 'a2', 'a3', 'a4'], b: ['b1'], c: ['c1', 'c2'] });

    expect(shown(await takeInTurn(['a', 'b', 'c'], 6, keys))).toEqual(['a:a1', 'b:b1', 'c:c1', 'a:a2', 'c:c2', 'a:a3']);
    // Shares of 2 each; b brought less and was done; the one left went to a, the first of those still ready.
    expect(keys.asked).toEqual(['a:2', 'b:2', 'c:2', 'a:1']);
  });

  it('gives the first keys in the order the one more that does not divide, and asks no key for nothing', async () => {
    const keys = source({ a: ['a1'], b: ['b1', 'b2'], c: ['c1'] });

    expect(shown(await takeInTurn(['b', 'c', 'a'], 1, keys))).toEqual(['b:b1']);
    expect(keys.asked).toEqual(['b:1']);
  });

  it('asks the keys it left out when those asked come back short', async () => {
    const keys = source({ a: [], b: [], c: ['c1'] });

    expect(shown(await takeInTurn(['a', 'b', 'c'], 2, keys))).toEqual(['c:c1']);
    expect(keys.asked).toEqual(['a:1', 'b:1', 'c:2']);
  });

  it('counts a key that fails as empty while others bring something, and fails when none does', async () => {
    expect(shown(await takeInTurn(['a', 'b'], 2, source({ b: ['b1'] }, ['a'])))).toEqual(['b:b1']);
    await expect(takeInTurn(['a', 'b'], 2, source({}, ['a']))).rejects.toThrow('a failed');
  });
});
