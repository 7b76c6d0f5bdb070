import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PublishOutcomeUnknownError } from '../../lib/index.js';
import { freshNamespace } from '../support/brokers.js';
import { RedisServer, replicaConfirms } from '../support/redis/global-setup.js';
import { connectionsOf } from '../support/client-list.js';
import { LogCapture } from '../support/log-capture.js';
import { startPistachio } from '../support/start-app.js';
import { until } from '../support/until.js';

/** `durability: { replicas: 1 }` on a master with one replica, which the test stops and starts again. */
describe.each(['at-most-once', 'at-least-once'] as const)('Durability, %s', (delivery) => {
  let master: RedisServer;
  let replica: RedisServer;
  beforeAll(async () => {
    master = await RedisServer.start();
    replica = await RedisServer.start({ args: ['--replicaof', '127.0.0.1', String((master as RedisServer).port)] });
  });
  afterAll(async () => {
    await replica?.stop();
    await master?.stop();
  });
  const inSync = () => replicaConfirms(master.port);

  it('publishes and delivers once the replica has it, and holds back while it has none', async () => {
    await inSync();
    const namespace = freshNamespace();
    const logs = new LogCapture();
    const app = await startPistachio(
      { namespace, redis: master.url, delivery, durability: { replicas: 1, timeout: 300 }, timeout: 30_000 },
      { logger: logs },
    );
    try {
      // Writes confirmed by replicas go on a connection of their own.
      expect((await connectionsOf(namespace, master.url)).map(({ name }) => name).sort()).toEqual([
        `pistachio:${namespace}:commands`,
        `pistachio:${namespace}:durable`,
        `pistachio:${namespace}:wake`,
      ]);
      await app.pistachio.publish('e', 'replicated');
      expect(String(await app.pistachio.receive('e'))).toBe('replicated');

      await replica.kill();
      const publishedAt = Date.now();
      await expect(app.pistachio.publish('e', 'on the master only')).rejects.toThrow(PublishOutcomeUnknownError);
      expect(Date.now() - publishedAt).toBeGreaterThanOrEqual(250);
      // Stored on the master, yet not handed out: each take is given back, as a failover now could undo it.
      let received: string | undefined;
      const waiting = app.pistachio.receive('e').then((message) => (received = String(message)));
      await logs.logged('warn', /"[^"]+:e" (failed and is given back|were given back)/, 2);
      expect(received).toBeUndefined();
      await until(async () => (await app.pistachio.length('e')) === 1);

      await replica.restart();
      await inSync();
      await waiting;
      expect(received).toBe('on the master only');
    } finally {
      await app.app.close();
    }
  }, 60_000);
});
