import { afterEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { InvalidPublishOptionError } from '../../lib/index.js';
import { backends, brokers, freshNamespace } from '../support/brokers.js';
import { sample } from '../support/metrics.controller.js';
import { HoldInterceptor } from '../support/hold.interceptor.js';
import { leavingPoll } from '../support/http-client.js';
import { AppGlobals, startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

/** Lets `ms` pass: what these tests wait for is a message's ttl running out, which no event announces. */
const elapse = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(brokers)('Expiring publishes (ttl) on the $name broker', (broker) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  let namespace: string;
  const start = (options: Partial<TestOptions> = {}, globals?: AppGlobals) => {
    namespace = freshNamespace();
    return startPistachio({ namespace, path: '/messages', ...broker.options(), ...options }, globals).then((started) => (app = started));
  };
  const receiveAll = async (endpoint: string, timeout = 300) =>
    (await app.queue.receiveDeliveries(endpoint, { timeout, max: 100 })).map(({ message }) => message.toString());
  const receive = async (endpoint: string, timeout = 300) => (await app.queue.receive(endpoint, { timeout }))?.toString();

  it('never delivers a message whose ttl passed before a poll, and counts it as expired, not dead-lettered', async () => {
    const registry = new Registry();
    await start({ metrics: { registry } });
    await app.pistachio.publish('news', 'stale', { ttl: 200 });
    await app.pistachio.publish('news', 'fresh', { ttl: 60_000 });
    await app.pistachio.publish('news', 'plain');
    await elapse(400);

    expect(await receiveAll('news')).toEqual(['fresh', 'plain']);
    expect(app.pistachio.stats().messages).toMatchObject({ published: 3, delivered: 2, expired: 1, deadLettered: 0 });
    const metrics = await registry.metrics();
    expect(sample(metrics, `pistachio_messages_expired_total{namespace="${namespace}",name=""}`)).toBe(1);
  });

  it('drops an expired message queued behind others once a take reaches it, one receive at a time', async () => {
    await start();
    await app.pistachio.publish('line', 'first');
    await app.pistachio.publish('line', 'expiring', { ttl: 200 });
    await app.pistachio.publish('line', 'last');
    await elapse(400);

    expect(await receive('line')).toBe('first');
    expect(await receive('line')).toBe('last');
    expect(await receive('line')).toBeUndefined();
    expect(app.pistachio.stats().messages.expired).toBe(1);
  });

  it('delivers a message within its ttl, to a receive waiting or one that comes later', async () => {
    await start();
    const waiting = receive('live', 5_000);
    await app.pistachio.publish('live', 'to the waiter', { ttl: 1_000 });
    expect(await waiting).toBe('to the waiter');
    await app.pistachio.publish('live', 'to the next', { ttl: 5_000 });
    expect(await receive('live')).toBe('to the next');
    expect(app.pistachio.stats().messages.expired).toBe(0);
  });

  it('counts a delayed message’s ttl from when it came due', async () => {
    await start();
    // Due at 1 s and alive until 1.9 s: were the ttl counted from the publish, it would be gone before it came due.
    await app.pistachio.publish('later', 'after the delay', { delay: 1_000, ttl: 900 });
    await app.pistachio.publish('later', 'gone by then', { delay: 100, ttl: 100 });
    await elapse(300);
    expect(await receive('later', 5_000)).toBe('after the delay');
    expect(app.pistachio.stats().messages.expired).toBe(1);
  });

  it('pairs identical messages with their expiries in queue order', async () => {
    await start();
    await app.pistachio.publish('same', 'ping', { ttl: 200 });
    await app.pistachio.publish('same', 'ping');
    await app.pistachio.publish('same', 'ping', { ttl: 60_000 });
    await elapse(400);
    expect(await receiveAll('same')).toEqual(['ping', 'ping']);
    expect(app.pistachio.stats().messages.expired).toBe(1);
  });

  it.each([0, -1, 1.5, 10_001, '500' as unknown as number, Number.NaN])(
    'refuses a ttl of %p with a typed error naming it, and stores nothing',
    async (ttl) => {
      await start({ messageTtl: 10_000, maxQueueLength: 1 });
      const publishing = app.pistachio.publish('checked', 'm', { ttl });
      await expect(publishing).rejects.toBeInstanceOf(InvalidPublishOptionError);
      await expect(publishing).rejects.toMatchObject({ option: 'ttl' });
      await app.pistachio.publish('checked', 'fits');
      expect(await receiveAll('checked')).toEqual(['fits']);
    },
  );

  if (broker.delivery === 'at-most-once') {
    it('keeps the expiry of a message given back because its client left', async () => {
      const hold = new HoldInterceptor('held');
      await start({}, { interceptors: [hold] });
      const poll = leavingPoll(`${app.url}/messages/held`);
      await app.arrivals.reached('held');
      const publishedAt = Date.now();
      await app.pistachio.publish('held', 'short-lived', { ttl: 2_000 });
      await hold.holding;
      poll.leave();
      expect(await poll.answer).toBeNull();
      await until(async () => (await app.pistachio.length('held')) === 1);
      hold.letGo();

      await elapse(publishedAt + 2_100 - Date.now());
      expect(await receive('held')).toBeUndefined();
      expect(app.pistachio.stats().messages).toMatchObject({ requeued: 1, expired: 1 });
    });
  }

  if (broker.delivery === 'at-least-once') {
    it('bounds the wait for the first delivery only: a claim that came back is delivered again past the ttl', async () => {
      await start({ visibilityTimeout: 300 });
      await app.pistachio.publish('claimed', 'work', { ttl: 200 });
      expect((await app.queue.receiveDelivery('claimed', { timeout: 300 }))?.deliveryCount).toBe(1);
      await until(async () => (await app.pistachio.length('claimed')) === 1);
      const again = await app.queue.receiveDelivery('claimed', { timeout: 300 });
      expect([again?.message.toString(), again?.deliveryCount]).toEqual(['work', 2]);
      expect(app.pistachio.stats().messages.expired).toBe(0);
    });
  }

  if (broker.redis) {
    it('keeps the list to the bytes published, and leaves no expiry behind once the queue is read', async () => {
      await start();
      await app.pistachio.publish('raw', 'as published', { ttl: 60_000 });
      await app.pistachio.publish('raw', 'gone soon', { ttl: 200 });
      const key = `${namespace}:raw`;
      expect(await broker.redis!.with(async (client) => (await client.lrange(key, 0, -1)).map(String))).toEqual(['as published', 'gone soon']);
      await elapse(400);

      expect(await receiveAll('raw')).toEqual(['as published']);
      expect(await broker.redis!.with((client) => client.exists(key, `{${key}}#expiries`))).toBe(0);
    });
  }
});

describe.each(backends)('Expiring publishes in a broadcast registration on the $name broker', (backend) => {
  it('refuses ttl with a typed error, and retains nothing', async () => {
    const app = await startPistachio({ namespace: freshNamespace(), path: '/messages', mode: 'broadcast', ...backend.options() });
    try {
      await expect(app.pistachio.publish('news', 'm', { ttl: 1_000 })).rejects.toThrow('Invalid publish option "ttl": queues have it');
      expect(await app.pistachio.length('news')).toBe(0);
    } finally {
      await app.app.close();
    }
  });
});
