import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AppInstance, AppInstanceOptions, startAppInstance } from '../support/app-instance.js';
import { freshNamespace } from '../support/brokers.js';
import { request } from '../support/http-client.js';
import { MessageLedger } from '../support/message-ledger.js';
import { RedisServer } from '../support/redis/global-setup.js';
import { startPistachio } from '../support/start-app.js';

const MESSAGES = 900;
/** Publishes in flight at once, so that each fault catches some between request and answer. */
const IN_FLIGHT = 8;

/**
 * Producers that retry: each message goes through an app instance's own POST route with its id as `deduplicationId`,
 * and is sent again (to whichever instance serves then) until an answer says it is stored; every tenth is also sent
 * once more after that, as a producer that lost the answer would. Every fourth is delayed by up to a second, so that
 * some come due on Redis while it restarts, and some were published by the instance that is killed.
 */
describe('Delayed and deduplicated publishes under an instance kill and a Redis restart', () => {
  let server: RedisServer;
  const instances: AppInstance[] = [];
  beforeAll(async () => {
    server = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await server.stop();
  });

  it('stores every message exactly once, however often it was sent, and delivers the delayed ones', async () => {
    const namespace = freshNamespace();
    const options: AppInstanceOptions = { namespace, path: '/messages', redis: server.url };
    const endpoints = Array.from({ length: 4 }, (_, i) => `dedup-${i}`);
    instances.push(await startAppInstance(options), await startAppInstance(options));
    let serving = instances[0];

    let failedSends = 0;
    let repeats = 0;
    let delayed = 0;
    const send = async (id: string): Promise<boolean> => {
      const i = Number(id.slice(1));
      const delay = i % 4 === 0 ? `?delay=${(i * 37) % 1_000}` : '';
      const answer = await request(`${serving.url}/publish/${endpoints[i % endpoints.length]}/${id}${delay}`, { method: 'POST' }).catch(() => undefined);
      return answer?.status === 204;
    };
    const publish = async (id: string) => {
      while (!(await send(id))) {
        failedSends++;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (Number(id.slice(1)) % 10 === 0) {
        repeats++;
        while (!(await send(id))) {
          failedSends++;
        }
      }
    };

    const ledger = new MessageLedger();
    let next = 0;
    const faults = async (i: number) => {
      if (i === 300) {
        const victim = serving;
        serving = instances[1];
        await victim.kill();
      }
      if (i === 600) {
        await server.kill();
        await server.restart();
      }
    };
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < MESSAGES) {
          const i = next++;
          await faults(i);
          await publish(`m${i}`);
          ledger.stored(`m${i}`);
          delayed += i % 4 === 0 ? 1 : 0;
        }
      }),
    );

    // A consumer of its own, on an instance that published nothing: the delayed messages of the others come to it.
    const consumer = await startPistachio(options);
    try {
      const giveUp = Date.now() + 30_000;
      while (ledger.deliveries < MESSAGES && Date.now() < giveUp) {
        const deliveries = await consumer.queue.receiveAny(endpoints, { timeout: 2_000, max: 100 });
        deliveries.forEach(({ message }) => ledger.deliver(message.toString()));
      }
      const left = await Promise.all(endpoints.map((endpoint) => consumer.queue.receiveDeliveries(endpoint, { timeout: 1_000, max: 100 })));
      left.flat().forEach(({ message }) => ledger.deliver(message.toString()));
    } finally {
      await consumer.app.close();
    }
    const counts = ledger.settle(
      `delayed and deduplicated publishes, an instance killed and redis-server restarted: ${delayed} delayed, ${failedSends} failed sends retried, ${repeats} repeats`,
      [],
    );
    expect(failedSends).toBeGreaterThan(0);
    expect(counts).toMatchObject({ published: MESSAGES, delivered: MESSAGES, lost: 0, duplicated: 0, unknown: 0 });
  }, 120_000);
});
