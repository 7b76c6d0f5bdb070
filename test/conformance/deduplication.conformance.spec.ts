import { afterEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { InvalidPublishOptionError, PublishOptions, QueueFullError } from '../../lib/index.js';
import { backends, brokers, freshNamespace } from '../support/brokers.js';
import { sample } from '../support/metrics.controller.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(brokers)('Deduplicated publishes on the $name broker', (broker) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  let namespace: string;
  const start = (options: Partial<TestOptions> = {}) => {
    namespace = freshNamespace();
    return startPistachio({ namespace, path: '/messages', ...broker.options(), ...options }).then((started) => (app = started));
  };
  const receiveAll = async (endpoint: string) =>
    (await app.queue.receiveDeliveries(endpoint, { timeout: 1_000, max: 100 })).map(({ message }) => message.toString());

  it('stores a deduplication id once per endpoint within the window, even after its message was received, and counts the repeats', async () => {
    const registry = new Registry();
    await start({ metrics: { registry } });
    await app.pistachio.publish('orders', 'order 1', { deduplicationId: 'o-1' });
    await app.pistachio.publish('orders', 'order 1 again', { deduplicationId: 'o-1' });
    await app.pistachio.publish('orders', 'order 2', { deduplicationId: 'o-2' });
    await app.pistachio.publish('orders', 'no id');
    await app.pistachio.publish('invoices', 'same id, other endpoint', { deduplicationId: 'o-1' });
    expect(await receiveAll('orders')).toEqual(['order 1', 'order 2', 'no id']);

    await app.pistachio.publish('orders', 'order 1 once more', { deduplicationId: 'o-1' });
    expect(await app.pistachio.length('orders')).toBe(0);
    expect(await receiveAll('invoices')).toEqual(['same id, other endpoint']);

    expect(app.pistachio.stats().messages).toMatchObject({ published: 4, deduplicated: 2 });
    const metrics = await registry.metrics();
    const sampled = (name: string) => sample(metrics, `pistachio_messages_${name}_total{namespace="${namespace}",name=""}`);
    expect([sampled('published'), sampled('deduplicated')]).toEqual([4, 2]);
  });

  it('stores the id again once the window passed', async () => {
    await start({ deduplicationWindow: 300 });
    await app.pistachio.publish('retry', 'first', { deduplicationId: 'r' });
    let attempts = 0;
    // Repeats within the window store nothing; the first after it stores the message again.
    await until(async () => {
      attempts++;
      await app.pistachio.publish('retry', `attempt ${attempts}`, { deduplicationId: 'r' });
      return (await app.pistachio.length('retry')) === 2;
    });
    expect(await receiveAll('retry')).toEqual(['first', `attempt ${attempts}`]);
  });

  it('does not remember the id of a publish that a full queue refused', async () => {
    await start({ maxQueueLength: 1 });
    await app.pistachio.publish('full', 'a');
    await expect(app.pistachio.publish('full', 'b', { deduplicationId: 'b' })).rejects.toBeInstanceOf(QueueFullError);
    expect(await receiveAll('full')).toEqual(['a']);
    await app.pistachio.publish('full', 'b', { deduplicationId: 'b' });
    expect(await receiveAll('full')).toEqual(['b']);
  });

  it.each<[string, PublishOptions]>([
    ['deduplicationId', { deduplicationId: '' }],
    ['deduplicationId', { deduplicationId: 'x'.repeat(129) }],
    ['deduplicationId', { deduplicationId: 42 as unknown as string }],
    ['deduplcationId', { deduplcationId: 'typo' } as PublishOptions],
  ])('refuses a bad "%s" with a typed error that names it, and stores nothing (%j)', async (option, options) => {
    await start();
    const publishing = app.pistachio.publish('checked', 'm', options);
    await expect(publishing).rejects.toBeInstanceOf(InvalidPublishOptionError);
    await expect(publishing).rejects.toMatchObject({ option, status: 400 });
    expect(await app.pistachio.length('checked')).toBe(0);
  });
});

describe.each(backends)('Publish options in a broadcast registration on the $name broker', (backend) => {
  it('refuses deduplicationId with a typed error, and retains nothing', async () => {
    const app = await startPistachio({ namespace: freshNamespace(), path: '/messages', mode: 'broadcast', ...backend.options() });
    try {
      const publishing = app.pistachio.publish('news', 'm', { deduplicationId: 'n-1' });
      await expect(publishing).rejects.toBeInstanceOf(InvalidPublishOptionError);
      await expect(publishing).rejects.toThrow('Invalid publish option "deduplicationId": queues have it, not broadcast channels');
      expect(await app.pistachio.length('news')).toBe(0);
    } finally {
      await app.app.close();
    }
  });
});
