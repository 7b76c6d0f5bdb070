import { afterEach, describe, expect, it } from '@jest/globals';
import { events, subscribe } from '../../lib/client/index.js';
import { adapters } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(adapters)('The reference client on several endpoints, against a running app on $name', (adapter) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  const start = async (options: Partial<TestOptions> = {}) => {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', timeout: 10_000, ...options }, { adapter });
  };
  const waitingOn = (...endpoints: string[]) =>
    until(async () => (await Promise.all(endpoints.map((endpoint) => app.pistachio.presence(endpoint)))).every((count) => count === 1));

  it('waits on every endpoint in one poll and tells each message its endpoint', async () => {
    await start();
    const received: string[] = [];
    const subscription = subscribe(`${app.url}/messages`, {
      endpoints: ['inbox', 'room'],
      onMessage: (message, { endpoint }) => void received.push(`${endpoint}:${message}`),
    });
    await waitingOn('inbox', 'room');
    await app.pistachio.publish('room', 'r1');
    await app.pistachio.publish('inbox', 'i1');
    await until(() => received.length === 2);
    subscription.close();
    await subscription.done;

    expect(received.sort()).toEqual(['inbox:i1', 'room:r1']);
    expect(app.arrivals.count('inbox,room')).toBeGreaterThanOrEqual(2);
  });

  it('restarts the poll on a new list of endpoints at once, losing nothing (at most once)', async () => {
    await start();
    const received: string[] = [];
    const subscription = subscribe(`${app.url}/messages`, {
      endpoints: ['a'],
      onMessage: (message, { endpoint }) => void received.push(`${endpoint}:${message}`),
    });
    await waitingOn('a');
    subscription.setEndpoints(['a', 'b']);
    await waitingOn('a', 'b');
    await app.pistachio.publish('b', 'b1');
    await app.pistachio.publish('a', 'a1');
    await until(() => received.length === 2);
    // The next poll waits before the list changes: one still on its way could take, and be written, what comes after.
    await waitingOn('a', 'b');
    subscription.setEndpoints(['b']);
    await until(async () => (await app.pistachio.presence('a')) === 0);
    await app.pistachio.publish('a', 'kept');
    subscription.close();
    await subscription.done;

    expect(received.sort()).toEqual(['a:a1', 'b:b1']);
    // A poll of a,b already on its way when the list changed may still take it: its client has left, so it goes back.
    await until(async () => (await app.pistachio.length('a')) === 1);
  });

  it('acknowledges at least once across endpoints, and by DELETE those of an endpoint it stopped polling', async () => {
    await start({ delivery: 'at-least-once', visibilityTimeout: 300 });
    await app.pistachio.publish('a', 'a1');
    await app.pistachio.publish('b', 'b1');
    const received: string[] = [];
    const subscription = subscribe(`${app.url}/messages`, {
      endpoints: ['a', 'b'],
      max: 10,
      onMessage: (message, { endpoint }) => {
        received.push(`${endpoint}:${message}`);
        if (received.length === 2) {
          subscription.setEndpoints(['b']);
        }
      },
    });
    await until(() => received.length === 2);
    await until(async () => (await app.pistachio.presence('a')) === 0 && (await app.pistachio.presence('b')) === 1);
    subscription.close();
    await subscription.done;

    expect(received).toEqual(['a:a1', 'b:b1']);
    // Acknowledged: neither comes back once the visibility timeout has passed.
    expect(await app.queue.receiveDelivery('a', { timeout: 1_000 })).toBeNull();
    expect(await app.queue.receiveDelivery('b', { timeout: 1_000 })).toBeNull();
  });

  it('follows the position in every channel, keeps it when a channel is added, and resumes from lastId', async () => {
    await start({ mode: 'broadcast' });
    const received: string[] = [];
    const subscription = subscribe(`${app.url}/messages`, {
      endpoints: ['news'],
      onMessage: (message, { endpoint, id }) => void received.push(`${endpoint}:${message}:${id !== undefined}`),
    });
    await waitingOn('news');
    await app.pistachio.publish('news', 'n1');
    await until(() => received.length === 1);
    subscription.setEndpoints(['news', 'alerts']);
    await waitingOn('news', 'alerts');
    await app.pistachio.publish('alerts', 'a1');
    await app.pistachio.publish('news', 'n2');
    await until(() => received.length === 3);
    subscription.close();
    await subscription.done;
    expect(received.sort()).toEqual(['alerts:a1:true', 'news:n1:true', 'news:n2:true']);
    expect(subscription.lastId).toMatch(/^news~\d+-\d+,alerts~\d+-\d+$/);

    await app.pistachio.publish('alerts', 'a2');
    const resumed = events(`${app.url}/messages`, { endpoints: ['news', 'alerts'], after: subscription.lastId });
    const next = await resumed.next();
    expect(next.value).toEqual({ type: 'message', message: 'a2', id: expect.any(String), endpoint: 'alerts' });
    await resumed.return();
  });
});
