import { describe, expect, it } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { freshNamespace, redisUrl, withRedis } from '../support/brokers.js';
import { request } from '../support/http-client.js';
import { LogCapture } from '../support/log-capture.js';
import { percentile } from '../support/percentile.js';
import { startPistachio } from '../support/start-app.js';

describe('A key of another type under an endpoint', () => {
  it('answers its polls with a clear 500, leaves the key alone, and delays no other endpoint', async () => {
    const namespace = freshNamespace();
    const logs = new LogCapture();
    const app = await startPistachio(
      { namespace, path: '/messages', timeout: 5_000, redis: redisUrl() },
      { logger: logs },
    );
    const waiting = [request(`${app.url}/messages/bad`), request(`${app.url}/messages/bad`)];
    await app.arrivals.reached('bad', 2);
    await withRedis((redis) => redis.set(`${namespace}:bad`, 'foreign'));

    // A client that keeps polling the bad endpoint, while the others are served on the same blocking connection.
    let running = true;
    const badAnswers: number[] = [];
    const badPoller = (async () => {
      while (running) {
        badAnswers.push((await request(`${app.url}/messages/bad`)).status);
      }
    })();
    const latencies: number[] = [];
    for (let i = 0; i < 60; i++) {
      const endpoint = `good-${i % 5}`;
      const poll = request(`${app.url}/messages/${endpoint}`);
      await app.arrivals.reached(endpoint, Math.floor(i / 5) + 1);
      await delay(50);
      const publishedAt = performance.now();
      await app.pistachio.publish(endpoint, `g${i}`);
      expect((await poll).body).toBe(`g${i}`);
      latencies.push(performance.now() - publishedAt);
    }
    running = false;
    await badPoller;

    for (const answer of await Promise.all(waiting)) {
      expect(answer.status).toBe(500);
      expect(JSON.parse(answer.body).message).toMatch(`The Redis key "${namespace}:bad" holds a string, not a list`);
    }
    expect(badAnswers.length).toBeGreaterThan(0);
    expect(badAnswers.every((status) => status === 500)).toBe(true);
    expect(logs.count('error', new RegExp(`"${namespace}:bad"`))).toBe(1);
    expect(await withRedis((redis) => redis.get(`${namespace}:bad`))).toBe('foreign');
    await expect(app.pistachio.publish('bad', 'x')).rejects.toThrow('not a list');
    await app.app.close();

    const p99 = percentile(latencies, 0.99);
    console.log(`endpoints beside a foreign key: p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`);
    // Not a speed check: were wake-ups lost to the bad key, half the polls would wait past 500 ms for the once-a-second serve.
    expect(p99).toBeLessThan(500);
  }, 60_000);
});
