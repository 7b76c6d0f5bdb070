import { describe, expect, it } from '@jest/globals';
import { freshNamespace, redisUrl, withRedis } from '../support/brokers.js';
import { connectionsOf } from '../support/client-list.js';
import { request } from '../support/http-client.js';
import { drainAfterClients, LeavingPollers } from '../support/leaving-pollers.js';
import { startPistachio } from '../support/start-app.js';
import { until } from '../support/until.js';

describe('The module\'s connections killed while clients leave', () => {
  it('loses and duplicates nothing while clients leave and the wake-up and commands connections are killed', async () => {
    const namespace = freshNamespace();
    const app = await startPistachio({ namespace, path: '/messages', timeout: 2_000, redis: redisUrl() });
    const endpoints = Array.from({ length: 10 }, (_, i) => `chaos-${i}`);
    const published = Array.from({ length: 5_000 }, (_, i) => `m${i}`);

    const ids = async () => (await connectionsOf(namespace)).map(({ id }) => id);
    /**
     * Kills the module's connections with writes paused around it: a pop whose reply the kill cuts off is lost in
     * flight (at most once, see README), and this test counts the wake-ups missed, not those.
     */
    async function killConnections(): Promise<void> {
      const killed = await ids();
      await withRedis(async (redis) => {
        await redis.client('PAUSE', 1_000, 'WRITE');
        for (const id of killed) {
          await redis.client('KILL', 'ID', id);
        }
        await redis.client('UNPAUSE');
      });
      await until(async () => (await ids()).filter((id) => !killed.includes(id)).length === 2);
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
          await killConnections();
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

    // The connections are whole again, and a poll is served as before.
    expect(await ids()).toHaveLength(2);
    const afterwards = request(`${app.url}/messages/after-chaos`);
    await app.arrivals.reached('after-chaos');
    await app.pistachio.publish('after-chaos', 'still working');
    expect(await afterwards).toMatchObject({ status: 200, body: 'still working' });
    await app.app.close();
  }, 120_000);
});
