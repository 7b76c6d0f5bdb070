import { afterEach, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { Cluster } from 'ioredis';
import {
  InvalidOptionsError,
  PistachioHealthIndicator,
  PistachioModule,
  PistachioRootOptions,
  RedisConnectionError,
  RedisShardedPubSubError,
} from '../../lib/index.js';
import { clusterNodes, freshNamespace, redisUrl, withRedis } from '../support/brokers.js';
import { startPistachio, TestApp } from '../support/start-app.js';

/** Compiles a module with one registration: where start-up checks refuse what cannot work. */
const starting = (options: PistachioRootOptions) =>
  Test.createTestingModule({ imports: [PistachioModule.forRoot(options)] }).compile();

describe('A Redis deployment as the module finds it at start-up', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
  });

  it('reports each master of a Cluster in stats() and the health indicator', async () => {
    app = await startPistachio({ namespace: freshNamespace(), redis: { cluster: { nodes: clusterNodes() } } });
    const broker = app.pistachio.stats().broker;
    expect(broker).toMatchObject({ type: 'redis', topology: 'cluster' });
    if (broker.type !== 'redis') {
      throw new Error('not on Redis');
    }
    expect(broker.nodes).toHaveLength(3);
    for (const node of broker.nodes) {
      expect(node.connections).toEqual([
        { role: 'commands', status: 'ready' },
        { role: 'wake', status: 'ready' },
      ]);
    }
    expect(await app.app.get(PistachioHealthIndicator).isHealthy('pistachio')).toEqual({
      pistachio: { status: 'up', broker: 'redis' },
    });
  });

  it('takes an ioredis Cluster of the app, and leaves it open', async () => {
    const cluster = new Cluster(clusterNodes(), { lazyConnect: true });
    await cluster.connect();
    try {
      app = await startPistachio({ namespace: freshNamespace(), redis: cluster });
      await app.pistachio.publish('e', 'through the Cluster');
      expect(String(await app.pistachio.receive('e'))).toBe('through the Cluster');
      await app.app.close();
      app = undefined;
      expect(cluster.status).toBe('ready');
    } finally {
      cluster.disconnect();
    }
  });

  it.each([
    [{ options: { keyPrefix: 'app:' } }, /"redis": expected a Cluster without keyPrefix .*got "app:"/],
    [{ options: { redisOptions: { db: 2 } } }, /"redis": expected a Cluster on db 0 .*got 2/],
  ])('refuses a Cluster with %j that would move the keys', async (cluster, message) => {
    const refusal = starting({ namespace: 'refused', redis: { cluster: { nodes: clusterNodes(), ...cluster } } });
    await expect(refusal).rejects.toThrow(InvalidOptionsError);
    await expect(refusal).rejects.toThrow(message);
  });

  it('fails to start, naming the start-up nodes, when none of them answers', async () => {
    const refusal = starting({ namespace: 'nowhere', redis: { cluster: { nodes: ['127.0.0.1:1', '127.0.0.1:2'] } } });
    await expect(refusal).rejects.toThrow(RedisConnectionError);
    await expect(refusal).rejects.toThrow('127.0.0.1:1, 127.0.0.1:2');
  });

  it('fails to start, naming the master, when sharded Pub/Sub is refused to it (an ACL, a proxy)', async () => {
    const user = `nosharded${process.pid}`;
    await withRedis((redis) => redis.acl('SETUSER', user, 'on', '>secret', '~*', '&*', '+@all', '-ssubscribe'));
    try {
      const { port } = new URL(redisUrl());
      const refusal = starting({
        namespace: freshNamespace(),
        redis: { host: '127.0.0.1', port: Number(port), username: user, password: 'secret' },
      });
      await expect(refusal).rejects.toThrow(RedisShardedPubSubError);
      await expect(refusal).rejects.toThrow(`Redis at 127.0.0.1:${port} refused sharded Pub/Sub`);
    } finally {
      await withRedis((redis) => redis.acl('DELUSER', user));
    }
  });
});
