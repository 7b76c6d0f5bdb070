import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { freshNamespace } from '../support/brokers.js';
import { request } from '../support/http-client.js';
import { LeavingPollers, stopWhenDrained } from '../support/leaving-pollers.js';
import { MessageLedger } from '../support/message-ledger.js';
import { RedisServer } from '../support/redis/global-setup.js';
import { startPistachio } from '../support/start-app.js';

/** Longer than the probe poll's timeout, so that it must answer while Redis holds every command. */
const PAUSE_MS = 1_500;

describe('Redis paused with CLIENT PAUSE under traffic', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(() => server.stop());

  it('answers polls at their timeout during the pause, and loses or duplicates nothing', async () => {
    const namespace = freshNamespace();
    const app = await startPistachio({ namespace, path: '/messages', timeout: 5_000, redis: server.url });
    const admin = new Redis(server.url);
    const endpoints = Array.from({ length: 10 }, (_, i) => `pause-${i}`);
    const ledger = new MessageLedger();
    const pollers = new LeavingPollers(
      Array.from({ length: 30 }, (_, i) => `${app.url}/messages/${endpoints[i % endpoints.length]}`),
      0.2,
      5,
    );
    const publish = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        await ledger.publish(app.pistachio, endpoints[i % endpoints.length], `m${i}`);
      }
    };

    const probeDurations: number[] = [];
    for (const [from, to] of [
      [0, 500],
      [500, 1_000],
    ]) {
      await publish(from, (from + to) / 2);
      const publishing = publish((from + to) / 2, to); // held by the pause, then goes on
      await admin.client('PAUSE', PAUSE_MS, 'ALL');
      const probeStart = performance.now();
      // Nobody else polls it, so its pop goes out at once and is held in Redis with the rest.
      const probe = await request(`${app.url}/messages/probe?timeout=1000`);
      probeDurations.push(performance.now() - probeStart);
      expect(probe.status).toBe(504);
      await publishing;
    }
    const left = await stopWhenDrained(app, pollers, endpoints, ledger);
    await app.app.close();
    admin.disconnect();

    const counts = ledger.settle(
      `CLIENT PAUSE ${PAUSE_MS} ms twice: polls with a 1000 ms timeout answered after ${probeDurations.map((d) => d.toFixed(0)).join(' and ')} ms`,
      left,
    );
    expect(Math.max(...probeDurations)).toBeLessThan(1_000 + 500);
    expect(counts.lost).toBe(0);
    expect(counts.duplicated).toBe(0);
    expect(counts.unknown).toBe(0);
    expect(counts.uncertain).toBe(0);
  }, 120_000);
});
