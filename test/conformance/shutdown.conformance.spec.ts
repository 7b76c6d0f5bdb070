import { describe, expect, it } from '@jest/globals';
import { setups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { HoldInterceptor } from '../support/hold.interceptor.js';
import { leavingPoll, request } from '../support/http-client.js';
import { LogCapture } from '../support/log-capture.js';
import { startPistachio } from '../support/start-app.js';

describe.each(setups)('Shutdown on $name', ({ broker, adapter }) => {
  // At least once, a message whose client left stays claimed instead (see acknowledged.conformance.spec.ts).
  const atMostOnce = broker.delivery === 'at-most-once' ? it : it.skip;
  it('answers 200 pending polls 503 at once, and a poll answered 503 consumed nothing', async () => {
    const namespace = freshNamespace();
    const app = await startPistachio({ namespace, path: '/messages', timeout: 60_000, ...broker.options() }, { adapter });
    const endpoints = Array.from({ length: 20 }, (_, i) => `pending-${i}`);
    const polls = Array.from({ length: 200 }, (_, i) => request(`${app.url}/messages/${endpoints[i % 20]}`));
    await Promise.all(endpoints.map((endpoint) => app.arrivals.reached(endpoint, 10)));
    await app.pistachio.publish('queued', 'for the next instance');

    const closing = Date.now();
    const closed = app.app.close();
    // Published as the shutdown starts: each goes to a poll that is still waiting, or stays queued.
    await Promise.all(endpoints.map((endpoint) => app.pistachio.publish(endpoint, `during shutdown ${endpoint}`)));
    const answers = await Promise.all(polls);
    await closed;

    expect(Date.now() - closing).toBeLessThan(1_000);
    const refused = answers.filter((answer) => answer.status === 503);
    const delivered = answers.filter((answer) => answer.status === 200);
    expect(refused.length + delivered.length).toBe(200);
    expect(refused.every((answer) => answer.headers['retry-after'] === '1')).toBe(true);
    expect(answers.every((answer) => answer.headers['cache-control'] === 'no-store')).toBe(true);
    const stillQueued = await Promise.all(
      endpoints.map((endpoint) => broker.lengthAfterClose(app, namespace, endpoint)),
    );
    expect(delivered.length + stillQueued.reduce((sum, n) => sum + n, 0)).toBe(endpoints.length);
    expect(await broker.lengthAfterClose(app, namespace, 'queued')).toBe(1);
  });

  atMostOnce('gives back, before the broker closes, a message whose client leaves during shutdown', async () => {
    const namespace = freshNamespace();
    const hold = new HoldInterceptor('leaving');
    const app = await startPistachio({ namespace, path: '/messages', ...broker.options() }, { interceptors: [hold], adapter });
    const poll = leavingPoll(`${app.url}/messages/leaving`);
    await app.arrivals.reached('leaving');
    await app.pistachio.publish('leaving', 'not lost');
    await hold.holding;

    const closed = app.app.close();
    poll.leave();
    expect(await poll.answer).toBeNull();
    hold.letGo();
    await closed;

    expect(await broker.lengthAfterClose(app, namespace, 'leaving')).toBe(1);
  });

  it('waits no longer than shutdownGrace for an answer on its way, and says how many were still going', async () => {
    const hold = new HoldInterceptor('slow');
    const logs = new LogCapture();
    const app = await startPistachio(
      { namespace: freshNamespace(), path: '/messages', shutdownGrace: 100, ...broker.options() },
      { interceptors: [hold], logger: logs, adapter },
    );
    const poll = request(`${app.url}/messages/slow`);
    await app.arrivals.reached('slow');
    await app.pistachio.publish('slow', 'on its way');
    await hold.holding;

    // The answer stays held: shutdown goes on without it once shutdownGrace is over, and closes its connection.
    await app.app.close();
    expect(logs.count('warn', /1 messages were still on their way to clients at shutdown/)).toBe(1);
    await expect(poll).rejects.toThrow();
    hold.letGo();
  });
});
