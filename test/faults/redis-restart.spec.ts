import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { freshNamespace } from '../support/brokers.js';
import { request } from '../support/http-client.js';
import { LeavingPollers, stopWhenDrained } from '../support/leaving-pollers.js';
import { LogCapture } from '../support/log-capture.js';
import { MessageLedger } from '../support/message-ledger.js';
import { RedisServer } from '../support/redis/global-setup.js';
import { startPistachio } from '../support/start-app.js';

describe('redis-server killed with SIGKILL and restarted (AOF, appendfsync always)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  });
  afterAll(() => server.stop());

  it('answers polls at their timeout while Redis is away, serves them again promptly, and loses only what was in flight', async () => {
    const namespace = freshNamespace();
    const logs = new LogCapture();
    const app = await startPistachio({ namespace, path: '/messages', timeout: 5_000, redis: server.url }, { logger: logs });
    const endpoints = Array.from({ length: 10 }, (_, i) => `restart-${i}`);
    const ledger = new MessageLedger();
    const pollers = new LeavingPollers(
      Array.from({ length: 20 }, (_, i) => `${app.url}/messages/${endpoints[i % endpoints.length]}`),
      0,
      0,
    );
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        await ledger.publish(app.pistachio, endpoints[i % endpoints.length], `m${i}`);
      }
    };

    await publish(0, 500);
    const publishing = publish(500, 1_000); // goes on through the outage, waiting for Redis
    await server.kill();

    const outageStart = performance.now();
    const duringOutage = await request(`${app.url}/messages/outage?timeout=1000`);
    const outageAnswered = performance.now() - outageStart;
    expect(duringOutage.status).toBe(504);
    const waitingThrough = request(`${app.url}/messages/back`);
    await app.arrivals.reached('back');

    await server.restart();
    const reachable = performance.now();
    const admin = new Redis(server.url);
    await admin.rpush(`${namespace}:back`, 'served');
    expect((await waitingThrough).body).toBe('served');
    const servedAgainAfter = performance.now() - reachable;

    await publishing;
    const left = await stopWhenDrained(app, pollers, endpoints, ledger);
    await app.app.close();
    admin.disconnect();

    const cutOff = logs.count('warn', /cut off by a dropped connection|dropped during a pop/);
    const counts = ledger.settle(
      `redis-server killed: a poll answered 504 after ${outageAnswered.toFixed(0)} ms (timeout 1000), ` +
        `served again ${servedAgainAfter.toFixed(0)} ms after Redis was back, ${cutOff} reads cut off`,
      left,
    );
    expect(outageAnswered).toBeLessThan(1_000 + 500);
    expect(servedAgainAfter).toBeLessThan(500);
    expect(counts.duplicated).toBe(0);
    expect(counts.unknown).toBe(0);
    expect(counts.lost).toBeLessThanOrEqual(cutOff);
  }, 120_000);

  it('holds publishes made while Redis is away until it is back, and stores each once', async () => {
    const namespace = freshNamespace();
    const logs = new LogCapture();
    const app = await startPistachio({ namespace, redis: server.url }, { logger: logs });
    try {
      await server.kill();
      await logs.logged('warn', /Redis connection error/);
      const publishes = Array.from({ length: 50 }, (_, i) => app.pistachio.publish('held', `m${i}`));
      await server.restart();
      await Promise.all(publishes);
      const admin = new Redis(server.url);
      expect((await admin.lrange(`${namespace}:held`, 0, -1)).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`).sort());
      admin.disconnect();
    } finally {
      await app.app.close();
    }
  });
});
