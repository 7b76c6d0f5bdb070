import { afterEach, describe, expect, it } from '@jest/globals';
import { setups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { HoldInterceptor } from '../support/hold.interceptor.js';
import { HttpAnswer, leavingPoll, request } from '../support/http-client.js';
import { drainAfterClients, LeavingPollers } from '../support/leaving-pollers.js';
import { startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(setups)('Delivery over HTTP on $name', ({ broker, adapter }) => {
  // At least once, a message whose client left stays claimed instead (see acknowledged.conformance.spec.ts).
  const atMostOnce = broker.delivery === 'at-most-once' ? it : it.skip;
  let app: TestApp;

  afterEach(() => app.app.close());

  it('gives 50 concurrent pollers one message each, in the order of publication and arrival', async () => {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options() }, { adapter });
    const polls: Promise<HttpAnswer>[] = [];
    for (let i = 0; i < 50; i++) {
      polls.push(request(`${app.url}/messages/crowd`));
      await app.arrivals.reached('crowd', i + 1);
    }
    for (let i = 0; i < 50; i++) {
      await app.pistachio.publish('crowd', `m${i}`);
    }

    const answers = await Promise.all(polls);
    expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
    expect(answers.map((answer) => answer.body)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
    expect(await app.pistachio.length('crowd')).toBe(0);
  });

  atMostOnce('hands on a message popped for a client that left before its answer was written', async () => {
    const hold = new HoldInterceptor('held');
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options() }, {
      interceptors: [hold],
      adapter,
    });
    const poll = leavingPoll(`${app.url}/messages/held`);
    await app.arrivals.reached('held');
    await app.pistachio.publish('held', 'precious');
    await hold.holding;

    poll.leave();
    expect(await poll.answer).toBeNull();
    await until(async () => (await app.pistachio.length('held')) === 1);
    hold.letGo();

    expect(await drainAfterClients(app, ['held'])).toEqual(['precious']);
  });

  atMostOnce('loses and duplicates nothing while 20 clients leave mid-poll as messages are published', async () => {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options() }, { adapter });
    const published = Array.from({ length: 300 }, (_, i) => `m${i}`);
    const pollers = new LeavingPollers(Array(20).fill(`${app.url}/messages/chaos`), 0.5, 5);
    try {
      for (const message of published) {
        await app.pistachio.publish('chaos', message);
        await new Promise((resolve) => setTimeout(resolve, 1)); // pacing, so that polls come and go in between
      }
    } finally {
      await pollers.stop();
    }

    const queued = await drainAfterClients(app, ['chaos']);
    expect(pollers.left).toBeGreaterThan(0);
    expect(new Set(pollers.delivered).size).toBe(pollers.delivered.length);
    expect([...pollers.delivered, ...queued].sort()).toEqual([...published].sort());
  });
});
