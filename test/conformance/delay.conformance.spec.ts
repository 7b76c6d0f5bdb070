import { afterEach, describe, expect, it } from '@jest/globals';
import { performance } from 'node:perf_hooks';
import { InvalidPublishOptionError, QueueFullError } from '../../lib/index.js';
import { backends, brokers, freshNamespace } from '../support/brokers.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(brokers)('Delayed publishes on the $name broker', (broker) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  const start = (options: Partial<TestOptions> = {}) =>
    startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options(), ...options }).then((started) => (app = started));
  const receive = async (endpoint: string, timeout = 5_000) => (await app.queue.receive(endpoint, { timeout }))?.toString();
  const receiveAll = async (endpoint: string) =>
    (await app.queue.receiveDeliveries(endpoint, { timeout: 1_000, max: 100 })).map(({ message }) => message.toString());

  it('holds a delayed message until it is due, uncounted by length() meanwhile, and delivers it to a waiting receive then', async () => {
    await start();
    const publishedAt = performance.now();
    await app.pistachio.publish('later', 'in 600 ms', { delay: 600 });
    expect(await app.pistachio.length('later')).toBe(0);

    expect(await receive('later')).toBe('in 600 ms');
    // Never early (timers may round a millisecond down).
    expect(performance.now() - publishedAt).toBeGreaterThanOrEqual(599);
    expect(await app.pistachio.length('later')).toBe(0);
    expect(app.pistachio.stats().messages).toMatchObject({ published: 1, delayed: 1 });
  });

  it('joins the queue in the order messages came due, behind what was queued before and ahead of what comes after', async () => {
    await start();
    await app.pistachio.publish('mixed', 'late', { delay: 900 });
    await app.pistachio.publish('mixed', 'now');
    await app.pistachio.publish('mixed', 'early', { delay: 300 });
    await app.pistachio.publish('mixed', 'zero', { delay: 0 });

    expect(await receiveAll('mixed')).toEqual(['now', 'zero']);
    // Both due: whatever is published next goes behind them, though nobody received them yet.
    await until(async () => (await app.pistachio.length('mixed')) === 2);
    await app.pistachio.publish('mixed', 'after');
    expect(await receiveAll('mixed')).toEqual(['early', 'late', 'after']);
  });

  it('counts delayed messages toward maxQueueLength, though nothing of them is due', async () => {
    await start({ maxQueueLength: 2, overflow: 'drop-oldest' });
    await app.pistachio.publish('bounded', 'd1', { delay: 60_000 });
    await app.pistachio.publish('bounded', 'd2', { delay: 60_000 });
    // Nothing queued to drop: delayed messages are never dropped, so the publish is refused.
    await expect(app.pistachio.publish('bounded', 'now')).rejects.toBeInstanceOf(QueueFullError);
    await expect(app.pistachio.publish('bounded', 'd3', { delay: 1_000 })).rejects.toBeInstanceOf(QueueFullError);
    expect(await app.pistachio.length('bounded')).toBe(0);
  });

  it.each([-1, 1.5, 1_001, '500' as unknown as number, Number.NaN])(
    'refuses a delay of %p with a typed error naming it, and stores nothing',
    async (delay) => {
      await start({ maxDelay: 1_000, maxQueueLength: 1 });
      const publishing = app.pistachio.publish('checked', 'm', { delay });
      await expect(publishing).rejects.toBeInstanceOf(InvalidPublishOptionError);
      await expect(publishing).rejects.toMatchObject({ option: 'delay' });
      // Nothing holds the queue's one place, delayed or not.
      await app.pistachio.publish('checked', 'fits');
      expect(await receiveAll('checked')).toEqual(['fits']);
    },
  );

  it('delays a deduplicated publish, and deduplicates its repeat within the window', async () => {
    await start();
    await app.pistachio.publish('both', 'once', { delay: 300, deduplicationId: 'x' });
    await app.pistachio.publish('both', 'twice', { delay: 300, deduplicationId: 'x' });
    expect(await receive('both')).toBe('once');
    expect(await receive('both', 1_000)).toBeUndefined();
  });
});

describe.each(backends)('Delayed publishes in a broadcast registration on the $name broker', (backend) => {
  it('refuses delay with a typed error, and retains nothing', async () => {
    const app = await startPistachio({ namespace: freshNamespace(), path: '/messages', mode: 'broadcast', ...backend.options() });
    try {
      await expect(app.pistachio.publish('news', 'm', { delay: 1_000 })).rejects.toThrow('Invalid publish option "delay": queues have it');
      expect(await app.pistachio.length('news')).toBe(0);
    } finally {
      await app.app.close();
    }
  });
});
