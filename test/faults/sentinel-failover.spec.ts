import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { DeliveryMode } from '../../lib/index.js';
import { freshNamespace, withRedis } from '../support/brokers.js';
import { FailoverClients } from '../support/failover-clients.js';
import { LogCapture } from '../support/log-capture.js';
import { MessageLedger } from '../support/message-ledger.js';
import { redisCli, RedisSentinels } from '../support/redis/global-setup.js';
import { startPistachio } from '../support/start-app.js';
import { until } from '../support/until.js';

const MESSAGES = 800;
const POLLERS = 16;

/**
 * A Sentinel failover under traffic (master killed with SIGKILL, its replica promoted by three Sentinels), with
 * `durability: { replicas: 1 }`, on a setup of this file's own; every message counted.
 */
describe('A Sentinel failover under traffic', () => {
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
        visibilityTimeout: 1_000,
        maxDeliveries: 100,
      },
      { logger: logs },
    );
    const endpoints = Array.from({ length: 8 }, (_, i) => `sentinel-${i}`);
    const clients = new FailoverClients(
      delivery,
      Array.from({ length: POLLERS }, (_, i) => `${app.url}/messages/${endpoints[i % endpoints.length]}`),
    );
    const ledger = new MessageLedger();

    for (let i = 0; i < MESSAGES; i++) {
      if (i === 300) {
        const killed = sentinels.server(await sentinels.masterPort());
        await killed.kill();
        await until(async () => (await sentinels.masterPort()) !== killed.port, 30_000);
        // Back as a replica of the new master, so that writes are durable again (as the Sentinels would make it, in
        // their own time).
        await killed.restart();
        const master = await sentinels.masterPort();
        await redisCli('-p', String(killed.port), 'replicaof', '127.0.0.1', String(master));
        await until(async () => /^slave\d+:.*state=online/m.test(await redisCli('-p', String(master), 'info', 'replication')), 30_000);
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
    await clients.stop();
    await app.app.close();

    clients.settle(ledger, logs, (summary) => `Sentinel failover, ${delivery}, durability 1 replica: ${summary}`);
  }, 120_000);
});
