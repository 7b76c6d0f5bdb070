import { afterEach, describe, expect, it } from '@jest/globals';
import { Cluster, Redis } from 'ioredis';
import { once } from 'node:events';
import { UnsupportedIoredisError } from '../../lib/index.js';
import {
  addressOf,
  assertSupported,
  clusterAddress,
  dropConnection,
  holdWrites,
  ownerOfSlot,
  wasCutOff,
  wasNotSent,
  writesNow,
} from '../../lib/redis/ioredis-internals.js';
import type { RedisClient } from '../../lib/redis/redis-client.js';
import { clusterNodes, freshNamespace, redisUrl, withCluster, withRedis } from '../support/brokers.js';
import { connectionsOf } from '../support/client-list.js';
import { startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';

/** The ioredis major this run is meant to use: 5 under the test:ioredis5 script (PISTACHIO_IOREDIS=5), else 6. */
const major = process.env.PISTACHIO_IOREDIS === '5' ? 5 : 6;

describe(`ioredis ${major} beyond its documented API (lib/redis/ioredis-internals.ts)`, () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
  });

  // ioredis 6 speaks RESP3 by default, ioredis 5 only RESP2: what Redis sees tells which one the library loaded, so a
  // module mapping that was silently ignored fails here.
  it(`is what the library connects with, as Redis sees it`, async () => {
    const namespace = freshNamespace();
    app = await startPistachio({ namespace, redis: redisUrl() });

    const connections = (await connectionsOf(namespace)) as { name: string; resp?: string }[];
    const resp = major === 6 ? '3' : '2';
    expect(connections.map(({ name, resp }) => [name.slice(`pistachio:${namespace}:`.length), resp]).sort()).toEqual([
      ['commands', resp],
      ['wake', resp],
    ]);
  });

  // Each internal has a fallback or a start-up error: these say the installed ioredis takes none of them.
  it('has the options, socket and addresses the module reads, on a Redis', async () => {
    const redis = new Redis(redisUrl(), { lazyConnect: true });
    try {
      assertSupported(redis);
      expect(holdWrites(redis)).toBeUndefined();
      await redis.connect();

      expect(writesNow(redis)).toBe(true);
      expect(addressOf(redis)).toBe(redisUrl().replace('redis://', ''));
      const socket = holdWrites(redis);
      expect(socket?.writableCorked).toBe(1);
      const answered = redis.ping();
      socket!.uncork();
      expect(await answered).toBe('PONG');
    } finally {
      redis.disconnect();
    }
  });

  it('has the slot table and start-up nodes the module reads, on a Cluster', async () => {
    await withCluster(async (cluster) => {
      assertSupported(cluster);
      const masters = cluster.nodes('master').map(addressOf);
      expect(masters).toContain(ownerOfSlot(cluster, 0));
      expect(masters).toContain(ownerOfSlot(cluster, 16_383));
      expect(clusterAddress(cluster)).toBe(`the Redis Cluster of ${clusterNodes().join(', ')}`);
    });
  });

  it('replaces a connection whose socket it drops: ioredis reconnects', async () => {
    await withRedis(async (redis) => {
      await redis.ping();
      const closed = once(redis, 'close');
      const readyAgain = closed.then(() => once(redis, 'ready'));
      dropConnection(redis);

      await readyAgain;
      expect(await redis.ping()).toBe('PONG');
    });
  });

  it('raises the errors whose texts the module recognises', async () => {
    // A first command connects a lazy client, and is refused meanwhile without its offline queue.
    const offline = new Redis(redisUrl(), { lazyConnect: true, enableOfflineQueue: false });
    const cluster = new Cluster(clusterNodes(), { lazyConnect: true, enableOfflineQueue: false });
    try {
      expect(wasNotSent(await offline.ping().catch((refused: unknown) => refused))).toBe(true);
      expect(wasNotSent(await cluster.ping().catch((refused: unknown) => refused))).toBe(true);
    } finally {
      const ended = Promise.all([once(offline, 'end'), once(cluster, 'end')]);
      offline.disconnect();
      cluster.disconnect();
      await ended;
    }

    await withRedis(async (redis) => {
      const id = await redis.client('ID');
      const blocked = redis.blpop(`${freshNamespace()}:never`, 0).catch((cut: unknown) => cut);
      await until(() => withRedis(async (other) => String(await other.client('LIST', 'ID', id)).includes('cmd=blpop')));
      redis.disconnect();
      expect(wasCutOff(await blocked)).toBe(true);
    });
  });

  it('refuses, naming what is missing, a client without what the module cannot do without', () => {
    expect(() => assertSupported({} as RedisClient)).toThrow(UnsupportedIoredisError);
    expect(() => assertSupported({ isCluster: true, options: {} } as unknown as RedisClient)).toThrow('"slots" table on its Cluster');
  });
});
