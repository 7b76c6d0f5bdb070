import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { AppInstance, startAppInstance } from '../support/app-instance.js';
import { freshNamespace, redisUrl, withRedis } from '../support/brokers.js';
import { killConnections } from '../support/connection-killer.js';
import { LogCapture } from '../support/log-capture.js';
import { MessageLedger } from '../support/message-ledger.js';
import { ReconnectingStream } from '../support/reconnecting-stream.js';
import { startPistachio } from '../support/start-app.js';
import { until } from '../support/until.js';

const ENDPOINTS = Array.from({ length: 6 }, (_, i) => `stream-${i}`);
/** Streams of one endpoint each, and of all of them (multiplexed), that every instance serves. */
const STREAM_PATHS = [...ENDPOINTS, ...ENDPOINTS, ENDPOINTS.join(','), ENDPOINTS.join(',')];

/** The messages left in the queues, once every stream has taken what it will. */
function leftIn(namespace: string): Promise<string[]> {
  return withRedis(async (redis) => (await Promise.all(ENDPOINTS.map((endpoint) => redis.lrange(`${namespace}:${endpoint}`, 0, -1)))).flat());
}

function queuesEmpty(namespace: string): Promise<boolean> {
  return withRedis(async (redis) => (await Promise.all(ENDPOINTS.map((endpoint) => redis.llen(`${namespace}:${endpoint}`)))).every((length) => length === 0));
}

describe('Streams of queues delivered at most once, under faults', () => {
  let instances: AppInstance[] = [];
  afterAll(() => Promise.all(instances.map((instance) => instance.stop())));

  it('under CLIENT KILL of the module connections: nothing duplicated, nothing lost beyond the pops whose reply died', async () => {
    const namespace = freshNamespace();
    const logs = new LogCapture();
    const app = await startPistachio({ namespace, path: '/messages', redis: redisUrl() }, { logger: logs });
    const streams = STREAM_PATHS.map((path) => new ReconnectingStream(() => `${app.url}/messages/${path}`));
    const ledger = new MessageLedger();

    const killing = killConnections(namespace);
    for (let i = 0; i < 1_500; i++) {
      await ledger.publish(app.pistachio, ENDPOINTS[i % ENDPOINTS.length], `m${i}`);
    }
    const kills = await killing.stop();
    await until(() => queuesEmpty(namespace), 30_000);
    // Shutdown ends every stream after what it sent: each client has all it was sent.
    const stopping = streams.map((stream) => stream.stop());
    await app.app.close();
    await Promise.all(stopping);

    streams.flatMap(({ received }) => received).forEach(({ data }) => ledger.deliver(data));
    const lostPops = logs.count('warn', /dropped during a pop/);
    const reconnects = streams.reduce((sum, { reconnects }) => sum + reconnects, 0);
    const counts = ledger.settle(
      `streams, module connections killed ${kills} times, ${reconnects} reconnects, pops lost with their reply ${lostPops}`,
      await leftIn(namespace),
    );
    expect(kills).toBeGreaterThan(20);
    expect([counts.duplicated, counts.unknown]).toEqual([0, 0]);
    expect(counts.lost).toBeLessThanOrEqual(lostPops);
  }, 120_000);

  it('with one of two instances killed with SIGKILL: lost at most one message per stream of the dead one, nothing duplicated', async () => {
    const namespace = freshNamespace();
    const options = { namespace, path: '/messages', redis: redisUrl() };
    instances = await Promise.all([startAppInstance(options), startAppInstance(options)]);
    const [survivor, victim] = instances;
    let victimAlive = true;
    const streams = [survivor, victim].flatMap((instance) =>
      STREAM_PATHS.map((path) => new ReconnectingStream(() => `${instance === victim && !victimAlive ? survivor.url : instance.url}/messages/${path}`)),
    );
    const ledger = new MessageLedger();
    const admin = new Redis(redisUrl());

    // About 200 messages a second, pushed by another Redis client; the victim dies halfway.
    for (let i = 0; i < 1_000; i++) {
      if (i === 500) {
        await victim.kill();
        victimAlive = false;
      }
      await admin.rpush(`${namespace}:${ENDPOINTS[i % ENDPOINTS.length]}`, `m${i}`);
      ledger.stored(`m${i}`);
      await delay(5);
    }
    admin.disconnect();
    await until(() => queuesEmpty(namespace), 30_000);
    const stopping = streams.map((stream) => stream.stop());
    await survivor.stop();
    await Promise.all(stopping);

    streams.flatMap(({ received }) => received).forEach(({ data }) => ledger.deliver(data));
    const counts = ledger.settle('streams, one of two instances killed with SIGKILL', await leftIn(namespace));
    expect([counts.duplicated, counts.unknown]).toEqual([0, 0]);
    // The dead instance's streams each had at most the message in flight.
    expect(counts.lost).toBeLessThanOrEqual(STREAM_PATHS.length);
  }, 120_000);
});
