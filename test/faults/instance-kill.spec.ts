import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { AppInstance, startAppInstance } from '../support/app-instance.js';
import { freshNamespace, redisUrl } from '../support/brokers.js';
import { request } from '../support/http-client.js';
import { MessageLedger } from '../support/message-ledger.js';
import { until } from '../support/until.js';

const POLLERS_PER_INSTANCE = 20;

describe('One of two app instances killed with SIGKILL under traffic', () => {
  let instances: AppInstance[] = [];
  afterAll(() => Promise.all(instances.map((instance) => instance.stop())));

  it('loses only the messages the dead instance held in flight, and duplicates nothing', async () => {
    const namespace = freshNamespace();
    const options = { namespace, path: '/messages', timeout: 2_000, redis: redisUrl() };
    instances = await Promise.all([startAppInstance(options), startAppInstance(options)]);
    const [survivor, victim] = instances;
    const endpoints = Array.from({ length: 10 }, (_, i) => `instance-${i}`);
    const ledger = new MessageLedger();
    const admin = new Redis(redisUrl());

    let polling = true;
    /** A client that polls one instance in a loop, and moves to the survivor when its instance is gone. */
    const poller = async (instance: AppInstance, endpoint: string) => {
      while (polling) {
        try {
          const answer = await request(`${instance.url}/messages/${endpoint}`);
          if (answer.status === 200) {
            ledger.deliver(answer.body);
          }
        } catch {
          instance = survivor;
        }
      }
    };
    const pollers = [survivor, victim].flatMap((instance) =>
      Array.from({ length: POLLERS_PER_INSTANCE }, (_, i) => poller(instance, endpoints[i % endpoints.length])),
    );

    // About 200 messages a second, pushed by another Redis client; the victim dies halfway.
    for (let i = 0; i < 1_000; i++) {
      if (i === 500) {
        await victim.kill();
      }
      await admin.rpush(`${namespace}:${endpoints[i % endpoints.length]}`, `m${i}`);
      ledger.stored(`m${i}`);
      await delay(5);
    }
    await until(async () => (await Promise.all(endpoints.map((e) => admin.llen(`${namespace}:${e}`)))).every((l) => l === 0), 30_000);
    polling = false;
    await Promise.all(pollers);
    const left = (await Promise.all(endpoints.map((e) => admin.lrange(`${namespace}:${e}`, 0, -1)))).flat();
    admin.disconnect();

    const counts = ledger.settle('one of two instances killed with SIGKILL', left);
    expect(counts.duplicated).toBe(0);
    expect(counts.unknown).toBe(0);
    // At most one message per poll of the victim's clients (its pops in flight are each for one of those polls).
    expect(counts.lost).toBeLessThanOrEqual(POLLERS_PER_INSTANCE);
  }, 120_000);
});
