import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { DeliveryMode } from '../../lib/index.js';
import { freshNamespace, withRedis } from '../support/brokers.js';
import { FailoverClients } from '../support/failover-clients.js';
import { LogCapture } from '../support/log-capture.js';
import { MessageLedger } from '../support/message-ledger.js';
import { redisCli, RedisSentinels, replicaConfirms } from '../support/redis/global-setup.js';
import { startPistachio } from '../support/start-app.js';
import { until } from '../support/until.js';

const MESSAGES = 800;
const POLLERS = 16;

/** A failover of the master; each resolves once the Sentinels name the new master and a replica confirms its writes. */
const FAILOVERS: Record<string, (sentinels: RedisSentinels) => Promise<void>> = {
  // The master killed with SIGKILL, then started again as a replica of the new master, as its supervisor would (left
  // to the Sentinels, which look at a replica every 10 s and wait 8 s more, that takes up to half a minute); writes
  // are durable again once it confirms them.
  'the master killed': async (sentinels) => {
    const killed = sentinels.server(await sentinels.masterPort());
    await killed.kill();
    await until(async () => (await sentinels.masterPort()) !== killed.port, 30_000);
    const promoted = await sentinels.masterPort();
    await killed.restart({ replicaOf: promoted });
    await replicaConfirms(promoted);
  },
  // SENTINEL FAILOVER: the replica promoted, the master demoted, its clients disconnected by the Sentinels.
  'a manual failover': async (sentinels) => {
    const old = await sentinels.masterPort();
    // Refused while the Sentinels still settle a previous failover, or have not yet found the replica.
    await until(async () => (await redisCli('-p', String(sentinels.sentinels[0].port), 'sentinel', 'failover', 'mymaster')).trim() === 'OK', 30_000);
    await until(async () => (await sentinels.masterPort()) !== old, 30_000);
    await replicaConfirms(await sentinels.masterPort());
  },
  // The app's connections stay on the old master, which answers writes with READONLY from then on.
  'master and replica swapped by hand': (sentinels) => sentinels.swapByHand(),
};

/**
 * A Sentinel failover under traffic (three Sentinels, a master and its replica), with `durability: { replicas: 1 }`, on
 * a setup of this file's own; every message counted.
 */
describe.each(Object.keys(FAILOVERS))('A Sentinel failover under traffic: %s', (failover) => {
  let sentinels: RedisSentinels;
  beforeAll(async () => {
    sentinels = await RedisSentinels.start();
  }, 60_000);
  afterAll(() => sentinels?.stop());

  it.each(['at-most-once', 'at-least-once'] as DeliveryMode[])('counts every message (%s)', async (delivery) => {
    const namespace = freshNamespace();
    const logs = new LogCapture();
    const app = await startPistachio(
      {
        namespace,
        path: '/messages',
        timeout: 2_000,
        redis: { sentinels: sentinels.addresses, name: 'mymaster' },
        delivery,
        durability: { replicas: 1, timeout: 1_000 },
        ...(delivery === 'at-least-once' ? { visibilityTimeout: 1_000, maxDeliveries: 100 } : {}),
      },
      { logger: logs },
    );
    const endpoints = Array.from({ length: 8 }, (_, i) => `sentinel-${i}`);
    const clients = new FailoverClients(
      delivery,
      Array.from({ length: POLLERS }, (_, i) => `${app.url}/messages/${endpoints[i % endpoints.length]}`),
    );
    const ledger = new MessageLedger();
    try {
      for (let i = 0; i < MESSAGES; i++) {
        if (i === 300) {
          await FAILOVERS[failover](sentinels);
        }
        await ledger.publish(app.pistachio, endpoints[i % endpoints.length], `m${i}`);
        await delay(2); // pacing, so that the failover falls among the deliveries
      }

      const master = `redis://127.0.0.1:${await sentinels.masterPort()}`;
      const pending = () =>
        withRedis(async (redis) => {
          const keys = endpoints.map((endpoint) => `${namespace}:${endpoint}`);
          const sizes = await Promise.all(keys.flatMap((key) => [redis.llen(key), redis.zcard(`{${key}}#deadlines`)]));
          return sizes.reduce((sum, size) => sum + size, 0);
        }, master);
      await until(async () => (await pending()) === 0, 60_000);
    } finally {
      await clients.stop();
      await app.app.close();
    }

    clients.settle(ledger, logs, (summary) => `Sentinel, ${failover}, ${delivery}, durability 1 replica: ${summary}`);
  }, 120_000);
});
