import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { Waiters } from './waiters.js';

describe('Waiters', () => {
  beforeEach(() => {
    // Values handed are answered at the end of the turn (setImmediate): only the waiters' own timeouts are faked.
    jest.useFakeTimers({ doNotFake: ['setImmediate'] });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('hands a broadcast to every waiter, a slice per turn, and a later one never overtakes it', async () => {
    jest.useRealTimers();
    const waiters = new Waiters<string>();
    const first = Array.from({ length: 1500 }, () => waiters.wait('k', { timeout: 10_000, max: 1 }));
    const answered: string[] = [];
    first.forEach((waiting) => void waiting.then((value) => answered.push(value!)));

    waiters.handEach('k', 'one');
    const later = waiters.wait('k', { timeout: 10_000, max: 1 });
    waiters.handEach('k', 'two');
    await Promise.resolve();
    // The first slice is answered in this turn; the rest in the next ones.
    expect(answered.length).toBe(1024);

    expect(await Promise.all(first)).toEqual(Array(1500).fill('one'));
    expect(await later).toBe('two');
    expect(waiters.has('k')).toBe(false);
  });

  it('serves the oldest waiter of a key first', async () => {
    const waiters = new Waiters<Buffer>();
    const first = waiters.wait('k', { timeout: 10_000, max: 1 });
    const second = waiters.wait('k', { timeout: 10_000, max: 1 });

    expect(waiters.hand('other', Buffer.from('x'))).toBe(false);
    expect(waiters.hand('k', Buffer.from('1'))).toBe(true);
    expect(waiters.hand('k', Buffer.from('2'))).toBe(true);
    expect(String(await first)).toBe('1');
    expect(String(await second)).toBe('2');
    expect(waiters.hand('k', Buffer.from('3'))).toBe(false);
  });

  it("answers a value handed at the end of the turn, and keeps it for its waiter though the waiter's timeout passes first", async () => {
    const waiters = new Waiters<string>();
    const waiting = waiters.wait('k', { timeout: 20, max: 1 });
    let answered = false;
    void waiting.then(() => (answered = true));

    expect(waiters.hand('k', 'v')).toBe(true);
    jest.advanceTimersByTime(20);
    await Promise.resolve();
    expect(answered).toBe(false);
    expect(waiters.has('k')).toBe(false);
    expect(await waiting).toBe('v');
  });

  it('waits on several keys in line on each: the first to hand it a value ends the wait on all', async () => {
    const waiters = new Waiters<string>();
    const onA = waiters.wait('a', { timeout: 10_000, max: 1 });
    const onBoth = waiters.waitAny(['a', 'b'], { timeout: 10_000, max: 1 });

    expect(waiters.hand('b', 'b1')).toBe(true);
    expect(await onBoth).toEqual({ key: 'b', value: 'b1' });
    // Gone from the line of a too: the next value there is the older waiter's, and then nobody waits.
    expect(waiters.hand('a', 'a1')).toBe(true);
    expect(await onA).toBe('a1');
    expect([waiters.has('a'), waiters.has('b')]).toEqual([false, false]);
  });

  it.each([
    ['served', (waiters: Waiters<Buffer>) => waiters.hand('k', Buffer.from('m'))],
    ['aborted', (_: Waiters<Buffer>, abort: AbortController) => abort.abort()],
    ['timed out', () => jest.advanceTimersByTime(20)],
  ])('leaves no waiter, timer or abort listener once %s', async (_, end) => {
    const waiters = new Waiters<Buffer>();
    const abort = new AbortController();
    const waiting = waiters.wait('k', { timeout: 20, signal: abort.signal, max: 1 });
    expect(jest.getTimerCount()).toBe(1);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(1);

    end(waiters, abort);
    await waiting.catch(() => undefined);

    expect(jest.getTimerCount()).toBe(0);
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
    expect(waiters.hand('k', Buffer.from('late'))).toBe(false);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const waiters = new Waiters<Buffer>();
    const reason = new Error('already');
    await expect(waiters.wait('k', { timeout: 10_000, signal: AbortSignal.abort(reason), max: 1 })).rejects.toBe(reason);
    expect(waiters.hand('k', Buffer.from('m'))).toBe(false);
  });
});
