import { afterEach, describe, expect, it } from '@jest/globals';
import { NestInterceptor } from '@nestjs/common';
import { EventSource, EventSourceInit } from 'eventsource';
import { events, Gap, MessageInfo, MessageOf, StreamFailedError, subscribe, SubscribeOptions } from '../../lib/client/index.js';
import { adapters } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { EventStreamClient } from '../support/event-stream-client.js';
import { RefuseInterceptor } from '../support/refuse.interceptor.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

/**
 * The eventsource package's EventSource (Node 20 has none), recording the URL of each stream the client opens; a
 * stream opened while `held` is set waits for it before it connects.
 */
function recordingEventSource() {
  const recorded = { urls: [] as string[], held: undefined as Promise<void> | undefined };
  class RecordingEventSource extends EventSource {
    constructor(url: string | URL, init?: EventSourceInit) {
      recorded.urls.push(String(url));
      const held = recorded.held;
      super(url, { ...init, fetch: async (input, request) => (await held, fetch(input, request)) });
    }
  }
  return Object.assign(recorded, { EventSource: RecordingEventSource });
}

describe.each(adapters)('The reference client over server-sent events, against a running app on $name', (adapter) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  const start = async (options: Partial<TestOptions> = {}, interceptors: NestInterceptor[] = []) =>
    (app = await startPistachio({ namespace: freshNamespace(), path: '/messages', timeout: 10_000, ...options }, { adapter, interceptors }));
  const streaming = (...endpoints: string[]) =>
    until(async () => (await Promise.all(endpoints.map((endpoint) => app.pistachio.presence(endpoint)))).every((count) => count === 1));

  /** Subscribes with a recording EventSource and records what comes; `texts()` names the endpoint of each that has one. */
  const record = <F extends 'text' | 'bytes' = 'text'>(url: string, options: Omit<SubscribeOptions<F>, 'onMessage'>) => {
    const received: { message: MessageOf<F>; info: MessageInfo }[] = [];
    const source = recordingEventSource();
    const subscription = subscribe<F>(url, {
      EventSource: source.EventSource,
      ...options,
      onMessage: (message, info) => void received.push({ message, info }),
    } as SubscribeOptions<F>);
    const texts = () => received.map(({ message, info: { endpoint } }) => (endpoint === undefined ? message : `${endpoint}:${message}`));
    return { received, texts, source, subscription };
  };

  it.each(['poll', 'sse'] as const)('hands over a queue its messages in order, text, several lines or bytes, the same over %s', async (transport) => {
    await start();
    const { received, source, subscription } = record(`${app.url}/messages/jobs`, { transport, as: 'bytes' });
    await streaming('jobs');
    const bodies = [Buffer.from('one'), Buffer.from('two\nlines'), Buffer.from([0, 0xff, 0xfe, 10])];
    for (const body of bodies) {
      await app.pistachio.publish('jobs', body);
    }
    await until(() => received.length === 3);
    subscription.close();
    await subscription.done;

    expect(received).toEqual(bodies.map((body) => ({ message: new Uint8Array(body), info: {} })));
    expect(source.urls).toEqual(transport === 'sse' ? [`${app.url}/messages/jobs`] : []);
  });

  it('follows a channel: each message with its id, lastId, and a gap as polls report it', async () => {
    await start({ mode: 'broadcast', retention: 2 });
    const first = record(`${app.url}/messages/news`, { transport: 'sse' });
    await streaming('news');
    await app.pistachio.publish('news', 'a');
    await until(() => first.received.length === 1);
    first.subscription.close();
    await first.subscription.done;
    const [{ info }] = first.received;
    expect(info).toEqual({ id: expect.stringMatching(/^\d+-\d+$/) });
    expect(first.subscription.lastId).toBe(info.id);

    // Retention 2: of b, c, d the channel keeps c and d, so that resuming after a misses b.
    for (const message of ['b', 'c', 'd']) {
      await app.pistachio.publish('news', message);
    }
    const resumed = async (transport: 'poll' | 'sse') => {
      const gaps: Gap[] = [];
      const { received, subscription } = record(`${app.url}/messages/news`, { transport, after: info.id, onGap: (gap) => void gaps.push(gap) });
      await until(() => received.length === 2);
      subscription.close();
      await subscription.done;
      return { gaps, received, lastId: subscription.lastId };
    };
    const [polled, streamed] = [await resumed('poll'), await resumed('sse')];
    expect(streamed.received.map(({ message }) => message)).toEqual(['c', 'd']);
    expect(streamed.gaps).toEqual([{ after: info.id, resumedAt: streamed.received[0].info.id }]);
    expect(streamed).toEqual(polled);
  });

  it.each(['queue', 'broadcast'] as const)(
    'opens the next stream when the server ends one, from the cursor, losing nothing published in between (%s)',
    async (mode) => {
      await start({ mode, streamMaxDuration: 400 });
      const { received, texts, source, subscription } = record(`${app.url}/messages/news`, { transport: 'sse' });
      await streaming('news');
      // The next stream waits to connect while more is published.
      let reconnect!: () => void;
      source.held = new Promise((resolve) => (reconnect = resolve));
      await app.pistachio.publish('news', 'before');
      await until(() => source.urls.length >= 2);
      await app.pistachio.publish('news', 'between 1');
      await app.pistachio.publish('news', 'between 2');
      reconnect();
      await until(() => texts().length >= 3);
      subscription.close();
      await subscription.done;

      expect(texts()).toEqual(['before', 'between 1', 'between 2']);
      const after = mode === 'broadcast' ? `?after=${encodeURIComponent(received[0].info.id!)}` : '';
      expect(source.urls.slice(0, 2)).toEqual([`${app.url}/messages/news`, `${app.url}/messages/news${after}`]);
    },
  );

  it.each(['queue', 'broadcast'] as const)('streams several endpoints in one, each message naming its endpoint, and follows setEndpoints (%s)', async (mode) => {
    await start({ mode });
    const probe = await EventStreamClient.open(`${app.url}/messages/a,b`);
    probe.close();
    if (probe.status !== 200) {
      throw new Error(`The server answers a stream of several endpoints with ${probe.status}: multiplexed streams are not built yet`);
    }
    // Gone before the subscription streams: it would take (or, without a cursor, miss) what is published.
    await until(async () => (await app.pistachio.presence('a')) === 0);
    const { texts, received, source, subscription } = record(`${app.url}/messages`, { transport: 'sse', endpoints: ['a'] });
    await streaming('a');
    await app.pistachio.publish('a', 'a1');
    await until(() => texts().length === 1);
    subscription.setEndpoints(['a', 'b']);
    await until(async () => (await app.pistachio.presence('b')) === 1);
    await app.pistachio.publish('b', 'b1');
    await app.pistachio.publish('a', 'a2');
    await until(() => texts().length === 3);
    subscription.close();
    await subscription.done;

    expect(texts().sort()).toEqual(['a:a1', 'a:a2', 'b:b1']);
    expect(source.urls.map((url) => url.slice(app.url.length))).toEqual(
      mode === 'queue' ? ['/messages/a', '/messages/a,b'] : ['/messages/a', `/messages/a,b?after=${encodeURIComponent(`a~${received[0].info.id}`)}`],
    );
    if (mode === 'broadcast') {
      expect(received.map(({ info: { id } }) => id)).toEqual([0, 1, 2].map(() => expect.stringMatching(/^\d+-\d+$/)));
      expect(subscription.lastId).toMatch(/^a~\d+-\d+,b~\d+-\d+$/);
      await app.pistachio.publish('b', 'b2');
      const resumed = events(`${app.url}/messages`, { endpoints: ['a', 'b'], after: subscription.lastId });
      expect((await resumed.next()).value).toEqual({ type: 'message', message: 'b2', id: expect.any(String), endpoint: 'b' });
      await resumed.return();
    }
  });

  it('auto: polls for the rest of the subscription once the stream was refused (406 at least once)', async () => {
    await start({ delivery: 'at-least-once' });
    const { texts, source, subscription } = record(`${app.url}/messages/jobs`, { transport: 'auto' });
    await app.arrivals.reached('jobs', 2);
    await app.pistachio.publish('jobs', 'one');
    await app.pistachio.publish('jobs', 'two');
    await until(() => texts().length === 2);
    subscription.close();
    await subscription.done;

    expect(texts()).toEqual(['one', 'two']);
    expect(source.urls).toEqual([`${app.url}/messages/jobs`]);
  });

  it('auto: once a stream has opened, retries one refused later (a 503) as a stream', async () => {
    const asked: string[] = [];
    await start({ streamMaxDuration: 300 }, [
      new RefuseInterceptor((request) => (asked.push(String(request.headers.accept)), asked.length === 2 ? { status: 503 } : undefined)),
    ]);
    const retries: unknown[] = [];
    const { texts, source, subscription } = record(`${app.url}/messages/jobs`, {
      transport: 'auto',
      onRetry: (error) => void retries.push(error),
      sleep: async () => undefined,
    });
    await until(() => source.urls.length >= 3);
    await streaming('jobs');
    await app.pistachio.publish('jobs', 'one');
    await until(() => texts().length === 1);
    subscription.close();
    await subscription.done;

    expect(retries).toEqual([new StreamFailedError(503)]);
    expect(asked.every((accept) => accept === 'text/event-stream')).toBe(true);
  });

  it('sse: retries a refused stream with backoff, telling onRetry', async () => {
    await start({ delivery: 'at-least-once' });
    const retries: [unknown, number][] = [];
    const { subscription } = record(`${app.url}/messages/jobs`, {
      transport: 'sse',
      onRetry: (error, delay) => void retries.push([error, delay]),
      sleep: async () => undefined,
      random: () => 1,
    });
    await until(() => retries.length >= 2);
    subscription.close();
    await subscription.done;
    expect(retries.slice(0, 2)).toEqual([
      [new StreamFailedError(406), 1_000],
      [new StreamFailedError(406), 2_000],
    ]);
    expect((retries[0][0] as StreamFailedError).status).toBe(406);
  });
});

describe('The transport option', () => {
  const onMessage = () => undefined;

  it('sse: throws at once where it cannot stream, saying why', () => {
    expect(() => subscribe('http://127.0.0.1:1/m/x', { transport: 'sse', onMessage })).toThrow(/no EventSource/);
    const withEventSource = { transport: 'sse', EventSource: recordingEventSource().EventSource, onMessage } as const;
    expect(() => subscribe('http://127.0.0.1:1/m/x', { ...withEventSource, headers: { Authorization: 'Bearer t' } })).toThrow(/headers/);
    expect(() => subscribe('http://127.0.0.1:1/m/x', { ...withEventSource, credentials: 'omit' })).toThrow(/omit/);
  });

  it('auto: polls where it cannot stream', async () => {
    const source = recordingEventSource();
    const polled: string[] = [];
    const subscription = subscribe('http://127.0.0.1:1/m/x', {
      transport: 'auto',
      EventSource: source.EventSource,
      headers: { Authorization: 'Bearer t' },
      // A poll that waits until the subscription ends.
      fetch: (url, init) => (polled.push(String(url)), new Promise((_, reject) => init!.signal!.addEventListener('abort', reject))),
      onMessage,
    });
    await until(() => polled.length === 1);
    subscription.close();
    await subscription.done;
    expect(polled).toEqual(['http://127.0.0.1:1/m/x']);
    expect(source.urls).toEqual([]);
  });
});
