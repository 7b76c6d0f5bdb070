import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { RedisOutOfMemoryError } from '../../lib/index.js';
import { freshNamespace } from '../support/brokers.js';
import { LeavingPollers, stopWhenDrained } from '../support/leaving-pollers.js';
import { LogCapture } from '../support/log-capture.js';
import { MessageLedger } from '../support/message-ledger.js';
import { RedisServer } from '../support/redis/global-setup.js';
import { startPistachio } from '../support/start-app.js';

describe('Redis out of memory (maxmemory reached, noeviction)', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ args: ['--maxmemory-policy', 'noeviction'] });
  });
  afterAll(() => server.stop());

  it('refuses publishes with RedisOutOfMemoryError and loses none of the messages taken for clients that left', async () => {
    const namespace = freshNamespace();
    const logs = new LogCapture();
    const app = await startPistachio(
      { namespace, path: '/messages', timeout: 2_000, redis: server.url, maxQueueLength: 100_000 },
      { logger: logs },
    );
    const admin = new Redis(server.url);
    const usedMemory = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
    await admin.config('SET', 'maxmemory', String(usedMemory + 1_000_000));
    const endpoints = Array.from({ length: 10 }, (_, i) => `full-${i}`);
    const ledger = new MessageLedger();
    const padding = 'x'.repeat(1_000);
    let refusals = 0;
    let n = 0;
    /** Publishes the next message; false when Redis refused it for lack of memory. */
    const publishNext = async (): Promise<boolean> => {
      const message = `m${n++}:${padding}`;
      try {
        await ledger.publish(app.pistachio, endpoints[n % endpoints.length], message);
        return true;
      } catch (error) {
        expect(error).toBeInstanceOf(RedisOutOfMemoryError);
        refusals++;
        return false;
      }
    };

    // Fill Redis up, then let clients take messages (half of them leaving, so that those go back) while publishing on.
    while (await publishNext());
    const pollers = new LeavingPollers(
      Array.from({ length: 30 }, (_, i) => `${app.url}/messages/${endpoints[i % endpoints.length]}`),
      0.5,
      5,
    );
    for (let stored = 0; stored < 2_000; ) {
      if (await publishNext()) {
        stored++;
      } else {
        await delay(1); // a publisher backs off when Redis is full
      }
    }
    await admin.config('SET', 'maxmemory', '0');
    const left = await stopWhenDrained(app, pollers, endpoints, ledger);
    await app.app.close();
    admin.disconnect();

    const counts = ledger.settle(`out of memory: ${refusals} publishes refused, ${pollers.left} clients left`, left);
    expect(refusals).toBeGreaterThan(0);
    expect(pollers.left).toBeGreaterThan(100);
    expect(counts.lost).toBe(0);
    expect(counts.duplicated).toBe(0);
    expect(counts.unknown).toBe(0);
    expect(logs.count('error', /lost/)).toBe(0);
  }, 120_000);
});
