import { afterEach, describe, expect, it } from '@jest/globals';
import { messages, PollFailedError, PollRefusedError, subscribe } from '../../lib/client/index.js';
import { freshNamespace } from '../support/brokers.js';
import { RefuseInterceptor } from '../support/refuse.interceptor.js';
import { startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';
import { adapters } from '../support/adapters.js';

/** A sleep that records what it was asked to wait and returns at once: delays are checked, never waited. */
function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

describe.each(adapters)('The reference client against a running app on $name', (adapter) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  const start = (timeout = 10_000, refuse?: RefuseInterceptor) =>
    startPistachio({ namespace: freshNamespace(), path: '/messages', timeout }, { interceptors: refuse ? [refuse] : [], adapter }).then(
      (started) => (app = started),
    );

  it('yields the messages of an endpoint in order, as text, JSON or bytes', async () => {
    await start();
    for (const message of ['one', 'two', 'three']) {
      await app.pistachio.publish('ordered', message);
    }
    const received: string[] = [];
    for await (const message of messages(`${app.url}/messages/ordered`)) {
      received.push(message);
      if (received.length === 3) break;
    }
    expect(received).toEqual(['one', 'two', 'three']);

    await app.pistachio.publish('typed', { n: 1 });
    await app.pistachio.publish('typed', Buffer.from([0, 255]));
    const json = messages(`${app.url}/messages/typed`, { as: 'json' });
    expect((await json.next()).value).toEqual({ n: 1 });
    await json.return();
    const bytes = messages(`${app.url}/messages/typed`, { as: 'bytes' });
    expect((await bytes.next()).value).toEqual(new Uint8Array([0, 255]));
    await bytes.return();
  });

  it('polls again at once after a 504', async () => {
    await start(100);
    const { sleep, delays } = recordingSleep();
    const loop = messages(`${app.url}/messages/slow`, { sleep });
    const first = loop.next();
    await app.arrivals.reached('slow', 3);
    await app.pistachio.publish('slow', 'at last');

    expect((await first).value).toBe('at last');
    expect(delays).toEqual([]);
    await loop.return();
  });

  it('backs off with growing, jittered delays within the bounds while the server answers 500', async () => {
    let failures = 0;
    await start(10_000, new RefuseInterceptor(() => (failures++ < 3 ? { status: 500 } : undefined)));
    await app.pistachio.publish('flaky', 'made it');
    const { sleep, delays } = recordingSleep();
    const retried: unknown[] = [];
    const loop = messages(`${app.url}/messages/flaky`, {
      sleep,
      backoff: { base: 100, cap: 250 },
      random: () => 0.999,
      onRetry: (error) => retried.push(error),
    });

    expect((await loop.next()).value).toBe('made it');
    expect(delays).toEqual([99.9, 199.8, 249.75]);
    expect(retried).toHaveLength(3);
    expect(retried.every((error) => error instanceof PollFailedError && error.status === 500)).toBe(true);
    await loop.return();
  });

  it('keeps each jittered delay between 0 and min(cap, base * 2^n), and starts over after a success', async () => {
    let requests = 0;
    await start(10_000, new RefuseInterceptor(() => (++requests % 6 === 0 ? undefined : { status: 502 })));
    await app.pistachio.publish('jitter', 'a');
    await app.pistachio.publish('jitter', 'b');
    const { sleep, delays } = recordingSleep();
    const loop = messages(`${app.url}/messages/jitter`, { sleep, backoff: { base: 50, cap: 300 } });
    await loop.next();
    await loop.next();
    await loop.return();

    const bounds = [50, 100, 200, 300, 300];
    expect(delays).toHaveLength(10);
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(bounds[i % 5]);
    });
  });

  it.each([503, 429])('waits what Retry-After says after a %i, then polls again', async (status) => {
    let refused = false;
    await start(10_000, new RefuseInterceptor(() => (refused ? undefined : ((refused = true), { status, headers: { 'Retry-After': '2' } }))));
    await app.pistachio.publish('busy', 'later');
    const { sleep, delays } = recordingSleep();
    const loop = messages(`${app.url}/messages/busy`, { sleep });

    expect((await loop.next()).value).toBe('later');
    expect(delays).toEqual([2_000]);
    await loop.return();
  });

  it('stops with a PollRefusedError on a 4xx, sends the headers given, and consumes nothing refused', async () => {
    await start(10_000, new RefuseInterceptor((request) => (request.headers.authorization === 'Bearer good' ? undefined : { status: 403 })));
    await app.pistachio.publish('private', 'secret');
    const { sleep, delays } = recordingSleep();

    await expect(messages(`${app.url}/messages/private`, { sleep }).next()).rejects.toMatchObject({
      name: 'PollRefusedError',
      status: 403,
    });
    expect(delays).toEqual([]);
    expect(await app.pistachio.length('private')).toBe(1);

    const allowed = messages(`${app.url}/messages/private`, { headers: () => ({ Authorization: 'Bearer good' }) });
    expect((await allowed.next()).value).toBe('secret');
    await allowed.return();
  });

  it('ends at once on abort and leaves no poll waiting on the server', async () => {
    await start();
    const abort = new AbortController();
    const loop = messages(`${app.url}/messages/left`, { signal: abort.signal });
    const next = loop.next();
    await app.arrivals.reached('left');

    abort.abort();
    expect(await next).toEqual({ done: true, value: undefined });
    await app.arrivals.done('left');
    await app.pistachio.publish('left', 'for somebody else');
    expect(await app.pistachio.length('left')).toBe(1);
    expect(app.arrivals.count('left')).toBe(1);
  });

  it('calls onMessage for each message until closed, and onError when refused', async () => {
    await start(10_000, new RefuseInterceptor((request) => (request.params.endpoint === 'closed' ? { status: 410 } : undefined)));
    const received: string[] = [];
    const subscription = subscribe(`${app.url}/messages/feed`, { onMessage: (message) => void received.push(message) });
    await app.pistachio.publish('feed', 'first');
    await app.pistachio.publish('feed', 'second');
    await until(() => received.length === 2);
    subscription.close();
    await subscription.done;
    expect(received).toEqual(['first', 'second']);

    const errors: unknown[] = [];
    await subscribe(`${app.url}/messages/closed`, { onMessage: () => undefined, onError: (error) => errors.push(error) })
      .done;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(PollRefusedError);
  });
});
