import { describe, expect, it } from '@jest/globals';
import { brokers, freshNamespace } from '../support/brokers.js';
import { request } from '../support/http-client.js';
import { startPistachio } from '../support/start-app.js';

describe.each(brokers)('Shutdown on the $name broker', (broker) => {
  it('answers 200 pending polls 503 at once, consuming nothing, and keeps what is published meanwhile', async () => {
    const { app, url, pistachio, arrivals } = await startPistachio({
      namespace: freshNamespace(),
      path: '/messages',
      timeout: 60_000,
      ...broker.options(),
    });
    const polls = Array.from({ length: 200 }, (_, i) => request(`${url}/messages/pending-${i % 20}`));
    await Promise.all(Array.from({ length: 20 }, (_, i) => arrivals.reached(`pending-${i}`, 10)));
    await pistachio.publish('queued', 'for the next instance');

    const closing = Date.now();
    const closed = app.close();
    const answers = await Promise.all(polls);
    await pistachio.publish('pending-0', 'published during shutdown');
    await closed;

    expect(Date.now() - closing).toBeLessThan(1_000);
    expect(answers.every((answer) => answer.status === 503 && answer.headers['retry-after'] === '1')).toBe(true);
    expect(answers.every((answer) => answer.headers['cache-control'] === 'no-store')).toBe(true);
    expect(await pistachio.length('queued')).toBe(1);
    expect(await pistachio.length('pending-0')).toBe(1);
  });
});
