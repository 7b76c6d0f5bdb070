import { describe, expect, it } from '@jest/globals';
import { freshNamespace, redisUrl, withRedis } from '../support/brokers.js';
import { connectionsOf } from '../support/client-list.js';
import { request } from '../support/http-client.js';
import { drainAfterClients, LeavingPollers } from '../support/leaving-pollers.js';
import { startPistachio } from '../support/start-app.js';
import { until } from '../support/until.js';

describe('The blocking connections killed while clients leave', () => {
  it('loses and duplicates nothing while clients leave and the blocking connections are killed', async () => {
    const namespace = freshNamespace();
    const blockingConnections = 4;
    const app = await startPistachio({
      namespace,
      path: '/messages',
      timeout: 2_000,
      redis: redisUrl(),
      blockingConnections,
    });
    const endpoints = Array.from({ length: 10 }, (_, i) => `chaos-${i}`);
    const published = Array.from({ length: 5_000 }, (_, i) => `m${i}`);

    const blockingIds = async () =>
      (await connectionsOf(namespace)).filter((client) => client.name.endsWith(':blocking')).map(({ id }) => id);
    /**
     * Kills the pool's connections with writes paused around it: a kill that lands in the same event-loop turn as
     * the pop that serves a BLPOP drops that reply inside Redis, whatever the client does (see README).
     */
    async function killBlockingConnections(): Promise<void> {
      const ids = await blockingIds();
      await withRedis(async (redis) => {
        await redis.client('PAUSE', 1_000, 'WRITE');
        for (const id of ids) {
          await redis.client('KILL', 'ID', id);
        }
        await redis.client('UNPAUSE');
      });
      await until(async () => (await blockingIds()).filter((id) => !ids.includes(id)).length === blockingConnections);
    }
    const queuedInRedis = () =>
      withRedis(async (redis) => {
        const lengths = await Promise.all(endpoints.map((endpoint) => redis.llen(`${namespace}:${endpoint}`)));
        return lengths.reduce((sum, length) => sum + length, 0);
      });

    const urls = Array.from({ length: 50 }, (_, i) => `${app.url}/messages/${endpoints[i % endpoints.length]}`);
    const pollers = new LeavingPollers(urls, 0.3, 10);
    try {
      for (const [i, message] of published.entries()) {
        if (i === 1_500 || i === 3_500) {
          await killBlockingConnections();
        }
        await app.pistachio.publish(endpoints[i % endpoints.length], message);
      }
      await until(async () => (await queuedInRedis()) === 0, 60_000);
    } finally {
      await pollers.stop();
    }

    const queued = await drainAfterClients(app, endpoints);
    expect(pollers.left).toBeGreaterThan(0.2 * pollers.polls);
    expect(new Set(pollers.delivered).size).toBe(pollers.delivered.length);
    expect([...pollers.delivered, ...queued].sort()).toEqual([...published].sort());

    // No ghost reader: the pool is whole again, and a poll is served as before.
    expect(await blockingIds()).toHaveLength(blockingConnections);
    const afterwards = request(`${app.url}/messages/after-chaos`);
    await app.arrivals.reached('after-chaos');
    await app.pistachio.publish('after-chaos', 'still working');
    expect(await afterwards).toMatchObject({ status: 200, body: 'still working' });
    await app.app.close();
  }, 120_000);
});
