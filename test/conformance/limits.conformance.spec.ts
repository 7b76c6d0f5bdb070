import { afterEach, describe, expect, it } from '@jest/globals';
import { MessageTooLargeError } from '../../lib/index.js';
import { setups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { request } from '../support/http-client.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';

describe.each(setups)('Limits on $name', ({ broker, adapter }) => {
  let app: TestApp;

  async function start(options: Partial<TestOptions>): Promise<TestApp> {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options(), ...options }, { adapter });
    return app;
  }
  afterEach(() => app.app.close());

  it('answers 503 with Retry-After beyond maxWaiters, consuming nothing', async () => {
    await start({ maxWaiters: 2, timeout: 5_000 });
    const waiting = ['a', 'b'].map((endpoint) => request(`${app.url}/messages/${endpoint}`));
    await Promise.all(['a', 'b'].map((endpoint) => app.arrivals.reached(endpoint)));
    await app.pistachio.publish('queued', 'kept');

    const refused = await request(`${app.url}/messages/queued`);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('1');
    expect(refused.body).toContain('maxWaiters');
    expect(await app.pistachio.length('queued')).toBe(1);

    await app.pistachio.publish('a', 'for a');
    await app.pistachio.publish('b', 'for b');
    expect((await Promise.all(waiting)).map((answer) => answer.body)).toEqual(['for a', 'for b']);
  });

  it('answers 429 with Retry-After beyond maxWaitersPerEndpoint', async () => {
    await start({ maxWaitersPerEndpoint: 1, timeout: 5_000 });
    const waiting = request(`${app.url}/messages/busy`);
    await app.arrivals.reached('busy');

    const refused = await request(`${app.url}/messages/busy`);
    expect(refused.status).toBe(429);
    expect(refused.headers['retry-after']).toBe('1');
    await app.pistachio.publish('busy', 'for the first');
    expect(await waiting).toMatchObject({ status: 200, body: 'for the first' });
  });

  it('refuses a message beyond maxMessageBytes with MessageTooLargeError, storing nothing', async () => {
    await start({ maxMessageBytes: 10 });
    await expect(app.pistachio.publish('big', 'x'.repeat(11))).rejects.toThrow(MessageTooLargeError);
    await expect(app.pistachio.publish('big', 'é'.repeat(6))).rejects.toThrow(MessageTooLargeError);
    expect(await app.pistachio.length('big')).toBe(0);

    await app.pistachio.publish('big', 'x'.repeat(10));
    expect(await app.pistachio.length('big')).toBe(1);
  });

  it.each(['999', 'abc', '1.5', '-1000', '5001', '1000&timeout=2000', ''])(
    'answers ?timeout=%s with 400, consuming nothing',
    async (timeout) => {
      await start({ timeout: 5_000 });
      await app.pistachio.publish('timed', 'kept');

      const answer = await request(`${app.url}/messages/timed?timeout=${timeout}`);
      expect(answer.status).toBe(400);
      expect(answer.body).toContain('timeout must be a whole number of milliseconds from 1000 to 5000');
      expect(await app.pistachio.length('timed')).toBe(1);
    },
  );

  it('waits the ?timeout= asked for within the range', async () => {
    await start({ timeout: 5_000 });
    const sentAt = Date.now();
    const answer = await request(`${app.url}/messages/short?timeout=1000`);

    expect(answer.status).toBe(504);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(1_000);
    expect(Date.now() - sentAt).toBeLessThan(5_000);
  });
});
