import { afterEach, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { PistachioModule, RedisConnectionError } from '../../lib/index.js';
import { freshNamespace, redisUrl, withRedis } from '../support/brokers.js';
import { connectionsOf } from '../support/client-list.js';
import { request } from '../support/http-client.js';
import { startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';

describe('RedisBroker', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
  });

  it.each(['at-most-once', 'at-least-once'] as const)(
    'delivers a message that another Redis client pushed, as is, to a poll waiting or to come (%s)',
    async (delivery) => {
      const namespace = freshNamespace();
      app = await startPistachio({ namespace, path: '/messages', redis: redisUrl(), delivery });
      await withRedis((redis) => redis.rpush(`${namespace}:foobar`, 'hi'));
      expect(await request(`${app.url}/messages/foobar`)).toMatchObject({ status: 200, body: 'hi' });

      // At least once, a waiting poll finds it within a second: an RPUSH wakes nobody.
      const waiting = request(`${app.url}/messages/foobar`);
      await app.arrivals.reached('foobar', 2);
      await withRedis((redis) => redis.rpush(`${namespace}:foobar`, 'ho'));
      expect(await waiting).toMatchObject({ status: 200, body: 'ho' });
    },
  );

  it('stores published messages as the raw bytes of a Redis list at <namespace>:<endpoint>', async () => {
    const namespace = freshNamespace();
    app = await startPistachio({ namespace, redis: redisUrl() });
    await app.pistachio.publish('foobar', 'héllo');
    await app.pistachio.publish('foobar', { n: 1 });

    const stored = await withRedis((redis) => redis.lrange(`${namespace}:foobar`, 0, -1));
    expect(stored).toEqual(['héllo', '{"n":1}']);
  });

  it('derives its connections from a client of the app, and leaves that client open', async () => {
    const client = new Redis(redisUrl());
    try {
      app = await startPistachio({ namespace: freshNamespace(), redis: client });
      await app.pistachio.publish('e', 'via the app client');
      expect(String(await app.pistachio.receive('e'))).toBe('via the app client');
      await app.app.close();
      app = undefined;

      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('opens its connections when the module starts and closes them all when the app closes', async () => {
    const namespace = freshNamespace();
    app = await startPistachio({ namespace, redis: redisUrl() });
    expect((await connectionsOf(namespace)).map(({ name }) => name).sort()).toEqual([
      `pistachio:${namespace}:commands`,
      `pistachio:${namespace}:wake`,
    ]);

    await app.app.close();
    app = undefined;
    // Redis frees a connection once it reads the close, which may come just after our question.
    await until(async () => (await connectionsOf(namespace)).length === 0);
  });

  it('fails to start within a few seconds, naming host and port, when Redis is not there', async () => {
    const startedAt = Date.now();
    const starting = Test.createTestingModule({
      imports: [PistachioModule.forRoot({ namespace: 'nowhere', redis: 'redis://127.0.0.1:1' })],
    }).compile();

    await expect(starting).rejects.toThrow(RedisConnectionError);
    await expect(starting).rejects.toThrow('127.0.0.1:1');
    expect(Date.now() - startedAt).toBeLessThan(5_000);
  });
});
