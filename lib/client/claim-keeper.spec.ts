import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { ClaimKeeper } from './claim-keeper.js';

describe('ClaimKeeper', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const claims = () => [{ visibility: 1_000 }, { visibility: 1_000 }];

  it('extends every claim not done by its visibility, every half of it, until all are done', () => {
    const extended: number[] = [];
    const [first, second] = claims();
    const keeper = new ClaimKeeper([first, second], async (_, visibility) => extended.push(visibility));

    jest.advanceTimersByTime(500);
    expect(extended).toEqual([1_000, 1_000]);
    keeper.done(first);
    jest.advanceTimersByTime(500);
    expect(extended).toHaveLength(3);
    keeper.done(second);
    jest.advanceTimersByTime(5_000);
    expect(extended).toHaveLength(3);
  });

  it("stops when the consumer's signal aborts, and extends nothing for a signal aborted already", () => {
    const extend = jest.fn(async () => undefined);
    const consumer = new AbortController();
    new ClaimKeeper(claims(), extend, consumer.signal);
    new ClaimKeeper(claims(), extend, AbortSignal.abort());

    jest.advanceTimersByTime(500);
    expect(extend).toHaveBeenCalledTimes(2);
    consumer.abort();
    jest.advanceTimersByTime(5_000);
    expect(extend).toHaveBeenCalledTimes(2);
  });

  it('keeps no Node process alive by itself', () => {
    jest.useRealTimers();
    const keeper = new ClaimKeeper(claims(), async () => undefined);
    const timer = (keeper as unknown as { timer: NodeJS.Timeout }).timer;
    expect(timer.hasRef()).toBe(false);
    keeper.stop();
  });
});
