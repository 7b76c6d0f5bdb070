import { describe, expect, it } from '@jest/globals';
import { Server } from 'node:http';
import { promisify } from 'node:util';
import { freshNamespace, redisUrl, withRedis } from '../support/brokers.js';
import { connectionsOf } from '../support/client-list.js';
import { LeavingPoll, leavingPoll, request } from '../support/http-client.js';
import { startPistachio } from '../support/start-app.js';
import { until } from '../support/until.js';

describe('RedisBroker under chaos', () => {
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
    const delivered: string[] = [];
    const current = new Set<LeavingPoll>();
    let polls = 0;
    let left = 0;
    let done = false;

    async function poller(endpoint: string): Promise<void> {
      while (!done) {
        const poll = leavingPoll(`${app.url}/messages/${endpoint}`);
        current.add(poll);
        polls++;
        if (Math.random() < 0.3) {
          left++;
          setTimeout(poll.leave, Math.random() * 10);
        }
        const answer = await poll.answer;
        current.delete(poll);
        if (answer?.status === 200) {
          delivered.push(answer.body);
        }
      }
    }

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

    const pollers = Array.from({ length: 50 }, (_, i) => poller(endpoints[i % endpoints.length]));
    const queuedInRedis = () =>
      withRedis(async (redis) => {
        const lengths = await Promise.all(endpoints.map((endpoint) => redis.llen(`${namespace}:${endpoint}`)));
        return lengths.reduce((sum, length) => sum + length, 0);
      });
    try {
      for (const [i, message] of published.entries()) {
        if (i === 1_500 || i === 3_500) {
          await killBlockingConnections();
        }
        await app.pistachio.publish(endpoints[i % endpoints.length], message);
      }
      await until(async () => (await queuedInRedis()) === 0, 60_000);
    } finally {
      // Ends the pollers, also when the test fails, so that none outlives it.
      done = true;
      current.forEach((poll) => poll.leave());
      await Promise.all(pollers);
    }
    const server: Server = app.app.getHttpServer();
    await until(async () => (await promisify(server.getConnections.bind(server))()) === 0);

    const queued: string[] = [];
    for (const endpoint of endpoints) {
      for (let n = await app.pistachio.length(endpoint); n > 0; n--) {
        queued.push(String(await app.pistachio.receive(endpoint)));
      }
    }
    expect(left).toBeGreaterThan(0.2 * polls);
    expect(new Set(delivered).size).toBe(delivered.length);
    expect([...delivered, ...queued].sort()).toEqual([...published].sort());

    // No ghost reader: the pool is whole again, and a poll is served as before.
    expect(await blockingIds()).toHaveLength(blockingConnections);
    const afterwards = request(`${app.url}/messages/after-chaos`);
    await app.arrivals.reached('after-chaos');
    await app.pistachio.publish('after-chaos', 'still working');
    expect(await afterwards).toMatchObject({ status: 200, body: 'still working' });
    await app.app.close();
  }, 120_000);
});
