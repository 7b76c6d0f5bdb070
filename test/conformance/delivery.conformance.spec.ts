import { afterEach, describe, expect, it } from '@jest/globals';
import { Server } from 'node:http';
import { promisify } from 'node:util';
import { brokers, freshNamespace } from '../support/brokers.js';
import { HoldInterceptor } from '../support/hold.interceptor.js';
import { HttpAnswer, LeavingPoll, leavingPoll, request } from '../support/http-client.js';
import { startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(brokers)('Delivery over HTTP on the $name broker', (broker) => {
  let app: TestApp;

  afterEach(() => app.app.close());

  function openConnections(): Promise<number> {
    const server: Server = app.app.getHttpServer();
    return promisify(server.getConnections.bind(server))();
  }

  /** Receives what is left in the queue once every connection has closed (and so every requeue has happened). */
  async function drain(endpoint: string): Promise<string[]> {
    await until(async () => (await openConnections()) === 0);
    const left: string[] = [];
    for (let n = await app.pistachio.length(endpoint); n > 0; n--) {
      left.push(String(await app.pistachio.receive(endpoint)));
    }
    return left;
  }

  it('gives 50 concurrent pollers one message each, in the order of publication and arrival', async () => {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options() });
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

  it('hands on a message popped for a client that left before its answer was written', async () => {
    const hold = new HoldInterceptor('held');
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options() }, [hold]);
    const poll = leavingPoll(`${app.url}/messages/held`);
    await app.arrivals.reached('held');
    await app.pistachio.publish('held', 'precious');
    await hold.holding;

    poll.leave();
    expect(await poll.answer).toBeNull();
    await until(async () => (await app.pistachio.length('held')) === 1);
    hold.letGo();

    expect(await drain('held')).toEqual(['precious']);
  });

  it('loses and duplicates nothing while 20 clients leave mid-poll as messages are published', async () => {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options() });
    const published = Array.from({ length: 300 }, (_, i) => `m${i}`);
    const delivered: string[] = [];
    const current = new Set<LeavingPoll>();
    let publishing = true;
    let left = 0;

    async function client(): Promise<void> {
      while (publishing) {
        const poll = leavingPoll(`${app.url}/messages/chaos`);
        current.add(poll);
        if (Math.random() < 0.5) {
          left++;
          setTimeout(poll.leave, Math.random() * 5);
        }
        const answer = await poll.answer;
        current.delete(poll);
        if (answer?.status === 200) {
          delivered.push(answer.body);
        }
      }
    }

    const clients = Array.from({ length: 20 }, client);
    for (const message of published) {
      await app.pistachio.publish('chaos', message);
      await new Promise((resolve) => setTimeout(resolve, 1)); // pacing, so that polls come and go in between
    }
    publishing = false;
    current.forEach((poll) => poll.leave());
    await Promise.all(clients);

    const queued = await drain('chaos');
    expect(left).toBeGreaterThan(0);
    expect(new Set(delivered).size).toBe(delivered.length);
    expect([...delivered, ...queued].sort()).toEqual([...published].sort());
  });
});
