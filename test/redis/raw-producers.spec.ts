import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { PistachioRootOptions } from '../../lib/index.js';
import { clusterNodes, freshNamespace, redisUrl } from '../support/brokers.js';
import { percentile } from '../support/percentile.js';
import { RedisCluster, RedisServer } from '../support/redis/global-setup.js';
import { startPistachio } from '../support/start-app.js';
import { until } from '../support/until.js';

const PUSHES = 10;

/** A Redis deployment for this file: the run's, or one of its own with keyspace notifications on. */
interface Deployment {
  redis: NonNullable<PistachioRootOptions['redis']>;
  client(): Redis | Cluster;
  stop(): Promise<void>;
}

const single = (url: string): Deployment => ({ redis: url, client: () => new Redis(url), stop: async () => undefined });
const cluster = (nodes: string[]): Deployment => ({
  redis: { cluster: { nodes } },
  client: () => new Cluster(nodes),
  stop: async () => undefined,
});

const setups: { name: string; notifications: boolean; start(): Promise<Deployment> }[] = [
  { name: 'one Redis, notifications off', notifications: false, start: async () => single(redisUrl()) },
  ...['Kl', 'El'].map((flags) => ({
    name: `one Redis, notify-keyspace-events ${flags}`,
    notifications: true,
    start: async () => {
      const server = await RedisServer.start({ args: ['--notify-keyspace-events', flags] });
      return { ...single(server.url), stop: () => server.stop() };
    },
  })),
  { name: 'a Cluster, notifications off', notifications: false, start: async () => cluster(clusterNodes()) },
  {
    name: 'a Cluster, notify-keyspace-events Kl',
    notifications: true,
    start: async () => {
      const own = await RedisCluster.start({ args: ['--notify-keyspace-events', 'Kl'] });
      return { ...cluster(own.nodes.split(',')), stop: () => own.stop() };
    },
  },
];

/**
 * The wire contract with other producers: an RPUSH to `<namespace>:<endpoint>` by any client reaches a waiting poll,
 * within the sweep of a second, or at once when the master notifies pushes.
 */
describe.each(setups)('A message another Redis client pushed, on $name', ({ notifications, start }) => {
  let deployment: Deployment;
  beforeAll(async () => {
    deployment = await start();
  }, 60_000);
  afterAll(() => deployment?.stop());

  it.each(['at-most-once', 'at-least-once'] as const)('reaches a waiting poll (%s)', async (delivery) => {
    const namespace = freshNamespace();
    const app = await startPistachio({ namespace, redis: deployment.redis, delivery, timeout: 10_000 });
    const producer = deployment.client();
    const latencies: number[] = [];
    try {
      for (let i = 0; i < PUSHES; i++) {
        const receiving = app.pistachio.receive('raw', { timeout: 10_000 });
        await until(() => app.pistachio.stats().pollsWaiting === 1);
        // Past the first wake-up check of a new waiter, so that only a notification or the sweep can find it.
        await new Promise((resolve) => setImmediate(resolve));
        const pushedAt = performance.now();
        await producer.rpush(`${namespace}:raw`, `pushed ${i}`);
        expect(String(await receiving)).toBe(`pushed ${i}`);
        latencies.push(performance.now() - pushedAt);
      }
    } finally {
      producer.disconnect();
      await app.app.close();
    }
    const median = percentile(latencies, 0.5);
    const slowest = Math.max(...latencies);
    console.log(`RPUSH by another client, ${delivery}: median ${median.toFixed(1)} ms, slowest ${slowest.toFixed(1)} ms`);
    if (notifications) {
      // Heard, not swept: the sweep comes a second after a key was last served.
      expect(median).toBeLessThanOrEqual(100);
    } else {
      expect(slowest).toBeLessThanOrEqual(1_500);
    }
  }, 60_000);
});
