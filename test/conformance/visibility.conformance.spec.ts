import { afterEach, describe, expect, it } from '@jest/globals';
import { InvalidOptionsError, ReceiptRefusedError } from '../../lib/index.js';
import { backendSetups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { request } from '../support/http-client.js';
import { parseMultipart } from '../support/multipart.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(backendSetups)('Visibility extension on $name', ({ broker, adapter }) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  const start = (options: Partial<TestOptions> = {}) =>
    startPistachio(
      { namespace: freshNamespace(), path: '/messages', delivery: 'at-least-once', ...broker.options(), ...options },
      { adapter },
    ).then((started) => (app = started));
  const poll = (endpoint: string, query = '') => request(`${app.url}/messages/${endpoint}${query}`);
  const extend = (endpoint: string, receipt: string, query: string) =>
    request(`${app.url}/messages/${endpoint}/${receipt}${query}`, { method: 'PATCH' });
  /** Waits until `count` unacknowledged messages are back in the queue: their visibility timeout passed. */
  const cameBack = (endpoint: string, count: number) => until(async () => (await app.pistachio.length(endpoint)) === count);

  it('keeps an extended claim past its old deadline, delivers it again at the new one, and its receipt stays valid', async () => {
    await start({ visibilityTimeout: 1_000 });
    await app.pistachio.publish('long', 'job');
    const first = await poll('long');
    expect(first.headers['pistachio-visibility-timeout']).toBe('1000');
    const receipt = String(first.headers['pistachio-receipt']);

    const extended = await extend('long', receipt, '?visibility=2500');
    expect([extended.status, extended.body]).toEqual([204, '']);
    // Past the old deadline, nothing comes back; at the new one the message does, as a second delivery.
    expect((await poll('long', '?timeout=1500')).status).toBe(504);
    const again = await poll('long', '?timeout=10000');
    expect([again.status, again.body, again.headers['pistachio-delivery-count']]).toEqual([200, 'job', '2']);

    // In code, and acknowledged after the extension under the same receipt.
    const receiptAgain = String(again.headers['pistachio-receipt']);
    await app.queue.extend('long', receiptAgain, 60_000);
    expect((await request(`${app.url}/messages/long/${receiptAgain}`, { method: 'DELETE' })).status).toBe(204);
    expect(await app.pistachio.length('long')).toBe(0);
  });

  it('refuses an expired or unknown receipt with a 409 that changes nothing', async () => {
    await start({ visibilityTimeout: 300 });
    await app.pistachio.publish('late', 'work');
    const receipt = String((await poll('late')).headers['pistachio-receipt']);
    await cameBack('late', 1);

    const expired = await extend('late', receipt, '?visibility=5000');
    expect(expired.status).toBe(409);
    expect(expired.body).toContain(`Receipt ${receipt} expired`);
    expect(expired.body).toContain('nothing was extended');
    const unknown = await extend('late', '12345.AAAAAAAAAAAAAAAA', '?visibility=5000');
    expect([unknown.status, unknown.body.includes('12345.AAAAAAAAAAAAAAAA is unknown')]).toEqual([409, true]);
    await expect(app.queue.extend('late', receipt, 5_000)).rejects.toBeInstanceOf(ReceiptRefusedError);
    expect(await app.pistachio.length('late')).toBe(1);
  });

  it('refuses a missing or bad visibility, or a bad receipt, with a 400 that leaves the claim to its deadline', async () => {
    await start({ visibilityTimeout: 500, maxVisibilityTimeout: 10_000 });
    await app.pistachio.publish('bad', 'work');
    const receipt = String((await poll('bad')).headers['pistachio-receipt']);

    for (const query of ['', '?visibility=', '?visibility=0', '?visibility=1.5', '?visibility=-1', '?visibility=abc', '?visibility=10001']) {
      const refused = await extend('bad', receipt, query);
      expect([query, refused.status]).toEqual([query, 400]);
      expect(refused.body).toContain('visibility must be a whole number of milliseconds from 1 to 10000');
    }
    expect((await extend('bad', 'not-a-receipt', '?visibility=5000')).status).toBe(400);
    expect((await extend('other', `bad~${receipt}`, '?visibility=5000')).status).toBe(400);
    await expect(app.queue.extend('bad', receipt, 10_001)).rejects.toBeInstanceOf(InvalidOptionsError);
    await expect(app.queue.extend('bad', receipt, 0)).rejects.toThrow('"visibility"');

    // None of them extended it: it comes back at its own deadline.
    await cameBack('bad', 1);
    expect((await extend('bad', receipt, '?visibility=5000')).status).toBe(409);
  });

  it('extends the receipts of a multiplexed answer and of a batch, each part saying how long it holds', async () => {
    await start({ visibilityTimeout: 1_000 });
    await app.pistachio.publish('a', 'a1');
    await app.pistachio.publish('b', 'b1');
    const batch = await poll('a,b', '?max=2');
    const parts = parseMultipart(batch);
    expect(parts.map((part) => part.headers['pistachio-visibility-timeout'])).toEqual(['1000', '1000']);

    for (const part of parts) {
      const endpoint = part.headers['pistachio-endpoint'];
      expect((await extend(endpoint, part.headers['pistachio-receipt'], '?visibility=60000')).status).toBe(204);
    }
    // Neither comes back at the old deadline.
    expect((await poll('a,b', '?timeout=1500')).status).toBe(504);
    expect(await app.pistachio.length('a')).toBe(0);
  });
});
