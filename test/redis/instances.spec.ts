import { afterEach, describe, expect, it } from '@jest/globals';
import { PistachioRootOptions } from '../../lib/index.js';
import { freshNamespace, redisUrl } from '../support/brokers.js';
import { connectionsOf } from '../support/client-list.js';
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
    { blockingConnections, delivery }: Pick<PistachioRootOptions, 'blockingConnections' | 'delivery'> = {},
  ): Promise<[TestApp, TestApp]> {
    const options = { namespace, path: '/messages', timeout: 2_000, redis: redisUrl(), blockingConnections, delivery };
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

  it('serves pollers on different instances in the order they started waiting', async () => {
    const namespace = freshNamespace();
    const [a, b] = await startInstances(namespace, { blockingConnections: 1 });
    const blocked = async () =>
      (await connectionsOf(namespace)).filter((client) => client.name.endsWith(':blocking') && client.flags === 'b');

    for (const [first, second] of [
      [a, b],
      [b, a],
    ]) {
      const firstPoll = request(`${first.url}/messages/fair`);
      await first.arrivals.reached('fair', first.arrivals.count('fair') + 1);
      await until(async () => (await blocked()).length === 1);
      const secondPoll = request(`${second.url}/messages/fair`);
      await second.arrivals.reached('fair', second.arrivals.count('fair') + 1);
      await until(async () => (await blocked()).length === 2);

      await a.pistachio.publish('fair', 'one');
      await a.pistachio.publish('fair', 'two');
      expect((await firstPoll).body).toBe('one');
      expect((await secondPoll).body).toBe('two');
    }
  });
});
