import { afterEach, describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { register, Registry } from 'prom-client';
import { InvalidOptionsError, PistachioModule, PistachioService } from '../../lib/index.js';
import { setups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { readersWaiting } from '../support/channel-subscribers.js';
import { EventStreamClient } from '../support/event-stream-client.js';
import { leavingPoll, request } from '../support/http-client.js';
import { metricsController, sample } from '../support/metrics.controller.js';
import { HoldInterceptor } from '../support/hold.interceptor.js';
import { AppGlobals, startApp, TestApp, TestOptions, pistachioModule } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(setups)('Metrics and stats on $name', ({ broker, adapter }) => {
  let app: TestApp;
  let registry: Registry;
  let namespace: string;
  afterEach(() => app.app.close());
  const atMostOnce = broker.delivery === 'at-most-once' ? it : it.skip;
  const atLeastOnce = broker.delivery === 'at-least-once' ? it : it.skip;

  const start = async (options: Partial<TestOptions> = {}, globals: AppGlobals = {}) => {
    registry = new Registry();
    namespace = freshNamespace();
    @Module({
      imports: [pistachioModule({ namespace, path: '/messages', metrics: { registry }, ...broker.options(), ...options })],
      controllers: [metricsController(registry)],
    })
    class AppModule {}
    app = await startApp([AppModule], { adapter, ...globals });
  };
  /** One series of the registration's metrics, read from the registry as a scrape would. */
  const series = async (name: string, outcome?: string) =>
    sample(await registry.metrics(), `pistachio_${name}{namespace="${namespace}",name=""${outcome ? `,outcome="${outcome}"` : ''}}`);

  atMostOnce('counts a broadcast message as delivered once per subscriber that got it', async () => {
    await start({ mode: 'broadcast' });
    const subscribers = [1, 2, 3].map(() => request(`${app.url}/messages/news`));
    await readersWaiting(app, `${namespace}:news`, 3, broker.redis);
    await app.pistachio.publish('news', 'to all');

    expect((await Promise.all(subscribers)).map(({ status }) => status)).toEqual([200, 200, 200]);
    await until(async () => (await series('polls_total', 'message')) === 3);
    expect([await series('messages_published_total'), await series('messages_delivered_total')]).toEqual([1, 3]);
    expect(app.pistachio.stats()).toMatchObject({ mode: 'broadcast', messages: { published: 1, delivered: 3 } });
  });

  it('counts exactly a known traffic: published, delivered, timeouts, refusals and clients that left', async () => {
    await start();
    const poll = (endpoint: string, query = '') => request(`${app.url}/messages/${endpoint}${query}`);

    for (let i = 0; i < 5; i++) {
      await app.pistachio.publish('work', `m${i}`);
    }
    for (let i = 0; i < 3; i++) {
      expect((await poll('work')).status).toBe(200);
    }
    const timeouts = [poll('idle', '?timeout=1000'), poll('idle', '?timeout=1000')];
    expect((await poll('work', '?max=0')).status).toBe(400);
    const leaving = [leavingPoll(`${app.url}/messages/gone`), leavingPoll(`${app.url}/messages/gone`)];
    await app.arrivals.reached('gone', 2);
    await until(() => app.pistachio.stats().pollsWaiting === 4);
    leaving.forEach((client) => client.leave());
    expect((await Promise.all(timeouts)).map(({ status }) => status)).toEqual([504, 504]);
    await until(() => app.pistachio.stats().polls.departed === 2);

    // Over HTTP, as Prometheus scrapes it.
    const text = (await request(`${app.url}/metrics`)).body;
    const labels = `namespace="${namespace}",name=""`;
    const scraped = (name: string, extra = '') => sample(text, `pistachio_${name}{${labels}${extra}}`);
    expect({
      published: scraped('messages_published_total'),
      delivered: scraped('messages_delivered_total'),
      requeued: scraped('messages_requeued_total'),
      lost: scraped('messages_lost_total'),
      message: scraped('polls_total', ',outcome="message"'),
      stream: scraped('polls_total', ',outcome="stream"'),
      timeout: scraped('polls_total', ',outcome="timeout"'),
      refused: scraped('polls_total', ',outcome="refused"'),
      departed: scraped('polls_total', ',outcome="departed"'),
      shutdown: scraped('polls_total', ',outcome="shutdown"'),
      waiting: scraped('polls_waiting'),
      timedOut: scraped('poll_duration_seconds_count', ',outcome="timeout"'),
      quickTimeouts: sample(text, `pistachio_poll_duration_seconds_bucket{le="0.5",${labels},outcome="timeout"}`),
    }).toEqual({
      published: 5,
      delivered: 3,
      requeued: 0,
      lost: 0,
      message: 3,
      stream: 0,
      timeout: 2,
      refused: 1,
      departed: 2,
      shutdown: 0,
      waiting: 0,
      timedOut: 2,
      quickTimeouts: 0,
    });
    expect(app.pistachio.stats()).toMatchObject({
      namespace,
      delivery: broker.delivery,
      pollsWaiting: 0,
      messages: { published: 5, delivered: 3, requeued: 0, lost: 0 },
      polls: { message: 3, stream: 0, timeout: 2, refused: 1, departed: 2, shutdown: 0 },
      broker: { type: broker.name.startsWith('redis') ? 'redis' : 'memory' },
    });
  });

  atMostOnce('counts a stream opened as a poll of its own outcome, and its events as messages delivered', async () => {
    await start();
    await app.pistachio.publish('streamed', 'one');
    await app.pistachio.publish('streamed', 'two');
    const stream = await EventStreamClient.open(`${app.url}/messages/streamed`);
    await stream.until(2);
    expect([await series('polls_total', 'stream'), await series('polls_total', 'message'), await series('messages_delivered_total')]).toEqual([1, 0, 2]);
    stream.close();
  });

  it('counts the polls that the shutdown ended', async () => {
    await start();
    const waiting = request(`${app.url}/messages/late?timeout=10000`);
    await until(() => app.pistachio.stats().pollsWaiting === 1);
    expect(await series('subscribers')).toBe(1);
    await app.app.close();

    expect((await waiting).status).toBe(503);
    expect(await series('polls_total', 'shutdown')).toBe(1);
    expect(await series('polls_waiting')).toBe(0);
    expect(await series('subscribers')).toBe(0);
  });

  atMostOnce('counts a message given back when its client left after it was taken', async () => {
    const hold = new HoldInterceptor('held');
    await start({}, { interceptors: [hold] });
    await app.pistachio.publish('held', 'back');
    const client = leavingPoll(`${app.url}/messages/held`);
    await hold.holding;
    client.leave();
    await until(() => app.pistachio.stats().messages.requeued === 1);
    hold.letGo();

    expect(await series('messages_requeued_total')).toBe(1);
    expect(await series('messages_delivered_total')).toBe(1);
    expect(await app.pistachio.length('held')).toBe(1);
  });

  atLeastOnce('counts redeliveries and dead letters', async () => {
    await start({ visibilityTimeout: 300, maxDeliveries: 2 });
    await app.pistachio.publish('flaky', 'twice');
    await app.queue.receiveDelivery('flaky');
    const again = await app.queue.receiveDelivery('flaky', { timeout: 5_000 });
    expect(again?.deliveryCount).toBe(2);
    // Redis moves it when it next claims on the endpoint, memory when its time is up.
    await until(async () => (await app.queue.receiveDelivery('flaky', { timeout: 100 })) === null && app.pistachio.stats().messages.deadLettered === 1);

    expect(app.pistachio.stats().messages).toMatchObject({ delivered: 2, redelivered: 1, deadLettered: 1 });
    expect(await series('messages_redelivered_total')).toBe(1);
    expect(await series('messages_dead_lettered_total')).toBe(1);
  });
});

describe('Metrics of several registrations', () => {
  let app: TestApp | undefined;
  afterEach(() => app?.app.close());

  it('share the metric names under different labels', async () => {
    const registry = new Registry();
    const [a, b] = [freshNamespace(), freshNamespace()];
    @Module({
      imports: [
        pistachioModule({ name: 'a', namespace: a, path: '/a', metrics: { registry } }),
        pistachioModule({ name: 'b', namespace: b, path: '/b', metrics: { registry, prefix: 'push_' } }),
        pistachioModule({ name: 'c', namespace: b, path: '/c', metrics: { registry } }),
      ],
      controllers: [metricsController(registry)],
    })
    class AppModule {}
    app = await startApp([AppModule]);
    const [first, third] = ['a', 'c'].map((name) => app!.app.get<PistachioService>(`PistachioService:${name}`));
    await first.publish('e', 'x');
    await third.publish('e', 'y');
    await third.publish('e', 'z');

    const text = (await request(`${app.url}/metrics`)).body;
    expect(sample(text, `pistachio_messages_published_total{namespace="${a}",name="a"}`)).toBe(1);
    expect(sample(text, `pistachio_messages_published_total{namespace="${b}",name="c"}`)).toBe(2);
    expect(sample(text, `push_messages_published_total{namespace="${b}",name="b"}`)).toBe(0);
    expect(text.match(/^# TYPE pistachio_messages_published_total counter$/gm)).toHaveLength(1);
  });

  it('go to prom-client\'s default registry with metrics: true', async () => {
    const namespace = freshNamespace();
    app = await startApp([pistachioModule({ namespace, metrics: true })]);
    await app.pistachio.publish('e', 'x');

    expect(sample(await register.metrics(), `pistachio_messages_published_total{namespace="${namespace}",name=""}`)).toBe(1);
  });

  it('refuses a prefix that is not a Prometheus name', async () => {
    const starting = Test.createTestingModule({
      imports: [pistachioModule({ namespace: 'n', metrics: { prefix: 'my-app' } })],
    }).compile();
    await expect(starting).rejects.toThrow(InvalidOptionsError);
  });
});
