import { afterEach, describe, expect, it } from '@jest/globals';
import { PistachioRootOptions } from '../../lib/index.js';
import { freshNamespace, redisUrl, singleRedis } from '../support/brokers.js';
import { EventStreamClient } from '../support/event-stream-client.js';
import { request } from '../support/http-client.js';
import { startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';

describe('Two app instances on one Redis', () => {
  let apps: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.map(({ app }) => app.close()));
    apps = [];
  });

  async function startInstances(
    namespace: string,
    { delivery, timeout = 2_000 }: Pick<PistachioRootOptions, 'delivery' | 'timeout'> = {},
  ): Promise<[TestApp, TestApp]> {
    const options = { namespace, path: '/messages', timeout, redis: redisUrl(), delivery };
    apps = await Promise.all([startPistachio(options), startPistachio(options)]);
    return apps as [TestApp, TestApp];
  }

  it.each(['at-most-once', 'at-least-once'] as const)(
    'delivers each of 1,000 messages published through A exactly once to pollers on A and B (%s)',
    async (delivery) => {
      const namespace = freshNamespace();
      const [a, b] = await startInstances(namespace, { delivery });
      const endpoints = Array.from({ length: 10 }, (_, i) => `shared-${i}`);
      const published = Array.from({ length: 1_000 }, (_, i) => `m${i}`);
      const delivered: { instance: TestApp; body: string }[] = [];

      let closing = false;
      async function poller(instance: TestApp, endpoint: string): Promise<void> {
        let ack = '';
        while (delivered.length < published.length) {
          // A poll that starts as the apps close may find its connection reset: that poller is done.
          const answer = await request(`${instance.url}/messages/${endpoint}${ack}`).catch((error: unknown) => {
            if (!closing) {
              throw error;
            }
            return null;
          });
          if (answer === null) {
            return;
          }
          ack = '';
          if (answer.status === 200) {
            delivered.push({ instance, body: answer.body });
            ack = answer.headers['pistachio-receipt'] ? `?ack=${answer.headers['pistachio-receipt']}` : '';
          } else if (answer.status !== 504) {
            return;
          }
        }
      }

      const pollers = [a, b].flatMap((instance) =>
        Array.from({ length: 20 }, (_, i) => poller(instance, endpoints[i % endpoints.length])),
      );
      for (const [i, message] of published.entries()) {
        await a.pistachio.publish(endpoints[i % endpoints.length], message);
      }
      await until(() => delivered.length >= published.length, 30_000);
      closing = true;
      await Promise.all(apps.map(({ app }) => app.close()));
      apps = [];
      await Promise.all(pollers);

      const bodies = delivered.map(({ body }) => body);
      expect(new Set(bodies).size).toBe(bodies.length);
      expect(bodies.sort()).toEqual([...published].sort());
      expect(delivered.filter(({ instance }) => instance === b).length).toBeGreaterThan(0);
    },
    60_000,
  );

  it.each(['at-most-once', 'at-least-once'] as const)(
    'serves the pollers of one instance in the order they started waiting, beside another instance (%s)',
    async (delivery) => {
      const namespace = freshNamespace();
      const [a, b] = await startInstances(namespace, { delivery, timeout: 10_000 });
      const waitingOn = async (instance: TestApp, polls: number) => {
        await instance.arrivals.reached('fair', polls);
        await until(() => instance.pistachio.stats().pollsWaiting === polls);
      };
      const firstOnA = request(`${a.url}/messages/fair`);
      await waitingOn(a, 1);
      const secondOnA = request(`${a.url}/messages/fair`);
      await waitingOn(a, 2);
      const onB = request(`${b.url}/messages/fair`);
      await waitingOn(b, 1);
      await until(async () => (await singleRedis.shardSubscribers(`{${namespace}:fair}#wake`)) === 2);

      for (const message of ['one', 'two', 'three']) {
        await a.pistachio.publish('fair', message);
      }
      const [first, second, third] = await Promise.all([firstOnA, secondOnA, onB]);
      const order = ['one', 'two', 'three'];
      // Which messages B takes depends on which instance Redis answers first; A's come in the order A's polls came.
      expect([first.body, second.body, third.body].sort()).toEqual([...order].sort());
      expect(order.indexOf(first.body)).toBeLessThan(order.indexOf(second.body));
    },
  );

  it.each(['at-most-once', 'at-least-once'] as const)(
    'answers a multiplexed poll on one instance with what the other publishes to any of its endpoints (%s)',
    async (delivery) => {
      const namespace = freshNamespace();
      const [a, b] = await startInstances(namespace, { delivery, timeout: 10_000 });
      for (const endpoint of ['inbox', 'room', 'notices']) {
        const waiting = request(`${a.url}/messages/inbox,room,notices`);
        await until(async () => (await singleRedis.shardSubscribers(`{${namespace}:${endpoint}}#wake`)) === 1);
        await b.pistachio.publish(endpoint, `for ${endpoint}`);

        const answer = await waiting;
        expect([answer.status, answer.body, answer.headers['pistachio-endpoint']]).toEqual([200, `for ${endpoint}`, endpoint]);
      }
    },
  );

  it('wakes a multiplexed broadcast poll on one instance with what the other publishes, every channel in order', async () => {
    const options = { namespace: freshNamespace(), path: '/live', mode: 'broadcast', timeout: 10_000, redis: redisUrl() } as const;
    const [a, b] = (apps = await Promise.all([startPistachio(options), startPistachio(options)]));
    const received: string[] = [];
    let running = true;
    // A subscriber of A following its cursor, from before anything was published on either channel.
    const subscriber = (async () => {
      let cursor = 'news~0-0,alerts~0-0';
      while (running) {
        const answer = await request(`${a.url}/live/news,alerts?after=${encodeURIComponent(cursor)}`);
        if (answer.status === 200) {
          received.push(`${answer.headers['pistachio-endpoint']}:${answer.body}`);
          cursor = String(answer.headers['pistachio-cursor']);
        }
      }
    })();

    const published: string[] = [];
    for (let i = 0; i < 10; i++) {
      const channel = i % 3 === 0 ? 'alerts' : 'news';
      await until(async () => (await a.pistachio.presence('alerts')) === 1);
      await b.pistachio.publish(channel, `m${i}`);
      published.push(`${channel}:m${i}`);
      // Each is waited for, so that A's next poll waits when the next comes.
      await until(() => received.length === published.length);
    }
    running = false;
    await b.pistachio.publish('news', 'last');
    await subscriber;
    expect(received.slice(0, 10)).toEqual(published);
  });

  it('streams every broadcast, from either instance, to streams on both, in order', async () => {
    const options = { namespace: freshNamespace(), path: '/live', mode: 'broadcast', redis: redisUrl() } as const;
    const [a, b] = (apps = await Promise.all([startPistachio(options), startPistachio(options)]));
    // A stream's 200 means it listens: each starts after the channels' latest message, fixed before it answers.
    const streams = await Promise.all([
      EventStreamClient.open(`${a.url}/live/news`),
      EventStreamClient.open(`${b.url}/live/news`),
      EventStreamClient.open(`${a.url}/live/news,alerts`),
      EventStreamClient.open(`${b.url}/live/news,alerts`),
    ]);
    const published: string[] = [];
    for (let i = 0; i < 100; i++) {
      const channel = i % 3 === 0 ? 'alerts' : 'news';
      await [a, b][i % 2].pistachio.publish(channel, `m${i}`);
      published.push(`${channel}:m${i}`);
    }
    const news = published.filter((message) => message.startsWith('news:'));
    const [onA, onB, bothOnA, bothOnB] = await Promise.all(streams.map((stream, s) => stream.until(s < 2 ? news.length : published.length)));
    streams.forEach((stream) => stream.close());

    expect([onA, onB].map((events) => events.map(({ data }) => `news:${data}`))).toEqual([news, news]);
    // Each channel in order on a stream of both; which channel's event comes first when both have one is open.
    for (const events of [bothOnA, bothOnB]) {
      for (const channel of ['news', 'alerts']) {
        const ofChannel = events.filter(({ type }) => type === channel).map(({ data }) => `${channel}:${data}`);
        expect(ofChannel).toEqual(published.filter((message) => message.startsWith(`${channel}:`)));
      }
    }
  });
});
