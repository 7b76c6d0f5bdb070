import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { AcknowledgingPollers } from '../support/acknowledging-pollers.js';
import { AppInstance, AppInstanceOptions, startAppInstance } from '../support/app-instance.js';
import { freshNamespace } from '../support/brokers.js';
import { killConnections } from '../support/connection-killer.js';
import { MessageLedger } from '../support/message-ledger.js';
import { RedisServer } from '../support/redis/global-setup.js';
import { startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';

const MESSAGES = 1_500;
const CLIENTS_PER_INSTANCE = 10;

describe('At-least-once delivery under instance kills, connection kills and a Redis restart', () => {
  let server: RedisServer;
  let instances: AppInstance[] = [];
  let publisher: TestApp | undefined;
  beforeAll(async () => {
    server = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await publisher?.app.close();
    await server.stop();
  });

  it('loses nothing, and every duplicate is a redelivery', async () => {
    const namespace = freshNamespace();
    const options: AppInstanceOptions = {
      namespace,
      path: '/messages',
      redis: server.url,
      delivery: 'at-least-once',
      visibilityTimeout: 1_000,
      maxDeliveries: 100,
    };
    const endpoints = Array.from({ length: 10 }, (_, i) => `ack-${i}`);
    const [survivor, first] = await Promise.all([startAppInstance(options), startAppInstance(options)]);
    instances = [survivor, first];
    publisher = await startPistachio(options);
    /** The instance each half of the clients polls: the second half moves to the survivor while theirs is down. */
    const serving = [survivor, first];
    const pollers = new AcknowledgingPollers(2 * CLIENTS_PER_INSTANCE, (client) => {
      const instance = serving[client < CLIENTS_PER_INSTANCE ? 0 : 1];
      return `${instance.url}/messages/${endpoints[client % endpoints.length]}`;
    });
    const replaceVictim = async () => {
      const victim = serving[1];
      serving[1] = survivor;
      await victim.kill();
      const replacement = await startAppInstance(options);
      instances.push(replacement);
      serving[1] = replacement;
    };

    let connectionKills = 0;
    const ledger = new MessageLedger();
    const replacements: Promise<void>[] = [];
    let killing: ReturnType<typeof killConnections> | undefined;
    const admin = new Redis(server.url);
    try {
      for (let i = 0; i < MESSAGES; i++) {
        if (i === 250 || i === 1_200) {
          replacements.push(replaceVictim());
        }
        if (i === 400) {
          killing = killConnections(namespace, { url: server.url });
        }
        if (i === 800) {
          connectionKills = await killing!.stop();
        }
        if (i === 900) {
          await server.kill();
          await server.restart();
        }
        await ledger.publish(publisher.pistachio, endpoints[i % endpoints.length], `m${i}`);
        await delay(2); // pacing, so that the faults fall among the deliveries
      }
      await Promise.all(replacements);

      // Drained: nothing queued, nothing claimed (every delivery acknowledged), nothing dead.
      const keys = endpoints.map((endpoint) => `${namespace}:${endpoint}`);
      const pending = async () => {
        const sizes = await Promise.all(keys.flatMap((key) => [admin.llen(key), admin.zcard(`${key}#deadlines`), admin.llen(`${key}#dead`)]));
        return sizes.reduce((sum, size) => sum + size, 0);
      };
      await until(async () => (await pending()) === 0, 60_000);
    } finally {
      await killing?.stop();
      await pollers.stop();
      admin.disconnect();
    }

    pollers.received.forEach(({ message }) => ledger.deliver(message));
    const redelivered = pollers.received.filter(({ deliveryCount }) => deliveryCount > 1).length;
    const firstDeliveries = new Map<string, number>();
    pollers.received
      .filter(({ deliveryCount }) => deliveryCount === 1)
      .forEach(({ message }) => firstDeliveries.set(message, (firstDeliveries.get(message) ?? 0) + 1));
    const counts = ledger.settle(
      `at least once: 2 instance kills, ${connectionKills} connection kills, a Redis restart; ` +
        `${redelivered} redeliveries, ${pollers.refused} acknowledgements refused`,
      [],
    );
    expect(connectionKills).toBeGreaterThan(20);
    expect(counts.lost).toBe(0);
    expect(counts.unknown).toBe(0);
    // Every duplicate is a redelivery: a message is delivered with count 1 once at most.
    expect([...firstDeliveries.values()].every((times) => times === 1)).toBe(true);
    expect(counts.duplicated).toBeLessThanOrEqual(redelivered);
  }, 180_000);
});
