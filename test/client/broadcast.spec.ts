import { afterEach, describe, expect, it } from '@jest/globals';
import { ChannelEvent, events, Gap, messages, PollRefusedError, subscribe } from '../../lib/client/index.js';
import { until } from '../support/until.js';
import { FakeOptions, FakePistachio } from './fake-pistachio.js';

describe('The reference client: broadcast channels and their cursor, against a fake server on a real socket', () => {
  let fake: FakePistachio;
  afterEach(() => fake.close());
  const start = async (options?: FakeOptions) => (fake = await FakePistachio.start({ broadcast: true, ...options }));
  const publish = (channel: string, ...bodies: string[]) => bodies.map((body) => fake.publish(channel, body));
  const polls = () => fake.sent('GET').map(({ after, status }) => ({ after, status }));

  it('sends back the id of each message it is done with (?after=), never a receipt', async () => {
    await start();
    const abort = new AbortController();
    const loop = messages(`${fake.url}/news?token=t`, { signal: abort.signal });
    const first = loop.next();
    // No cursor: the first poll waits for the next message published after it arrived.
    await until(() => fake.requests.length === 1);
    const ids = publish('news', 'a', 'b', 'c');
    const received = [(await first).value, (await loop.next()).value, (await loop.next()).value];
    const waiting = loop.next();
    await until(() => fake.requests.length === 4);
    abort.abort();
    await waiting;

    expect(received).toEqual(['a', 'b', 'c']);
    expect(fake.sent('GET').map(({ search, ack }) => ({ search, ack }))).toEqual([
      { search: '?token=t', ack: [] },
      { search: `?token=t&after=${ids[0]}`, ack: [] },
      { search: `?token=t&after=${ids[1]}`, ack: [] },
      { search: `?token=t&after=${ids[2]}`, ack: [] },
    ]);
    expect(fake.sent('DELETE')).toEqual([]);
  });

  it('starts after the id given as `after`, and yields each message with its id as events', async () => {
    await start();
    const ids = publish('news', 'a', 'b', 'c');
    const received: ChannelEvent[] = [];
    for await (const event of events(`${fake.url}/news`, { after: ids[0] })) {
      received.push(event);
      if (received.length === 2) break;
    }
    expect(received).toEqual([
      { type: 'message', message: 'b', id: ids[1] },
      { type: 'message', message: 'c', id: ids[2] },
    ]);
    expect(polls()).toEqual([
      { after: ids[0], status: 200 },
      { after: ids[1], status: 200 },
    ]);
  });

  it('retries a 503 from the cursor and misses nothing published meanwhile', async () => {
    await start();
    let meanwhile: string[] = [];
    const loop = messages(`${fake.url}/news`, {
      // The client is away: what is published during its wait is there when it comes back.
      sleep: async () => void (meanwhile = publish('news', 'b', 'c')),
    });
    const first = loop.next();
    await until(() => fake.requests.length === 1);
    const [a] = publish('news', 'a');
    let refused = false;
    fake.override = (request) =>
      request.after === a && !refused ? ((refused = true), { status: 503, headers: { 'Retry-After': '1' } }) : undefined;

    const received = [(await first).value, (await loop.next()).value, (await loop.next()).value];
    await loop.return();
    expect(received).toEqual(['a', 'b', 'c']);
    expect(polls()).toEqual([
      { after: undefined, status: 200 },
      { after: a, status: 503 },
      { after: a, status: 200 },
      { after: meanwhile[0], status: 200 },
    ]);
  });

  it.each([undefined, 10])('calls onGap before the message it resumed at, and yields a gap event first (max %p)', async (max) => {
    await start({ retain: 2 });
    const ids = publish('news', 'a', 'b', 'c', 'd', 'e');
    const seen: unknown[] = [];
    const onGap = (gap: Gap) => void seen.push(gap);
    for await (const message of messages(`${fake.url}/news`, { after: ids[0], max, onGap })) {
      seen.push(message);
      if (message === 'e') break;
    }
    expect(seen).toEqual([{ after: ids[0], resumedAt: ids[3] }, 'd', 'e']);

    const received: ChannelEvent[] = [];
    for await (const event of events(`${fake.url}/news`, { after: ids[1], max })) {
      received.push(event);
      if (received.length === 3) break;
    }
    expect(received).toEqual([
      { type: 'gap', gap: { after: ids[1], resumedAt: ids[3] } },
      { type: 'message', message: 'd', id: ids[3] },
      { type: 'message', message: 'e', id: ids[4] },
    ]);
    // Without a batch, the second poll of each loop was past the gap: the cursor had moved to the message resumed at.
    expect(polls().map(({ after }) => after)).toEqual(max ? [ids[0], ids[1]] : [ids[0], ids[3], ids[1], ids[3]]);
  });

  it('moves the cursor past each message of a batch as it is consumed, and asks for a batch after the last', async () => {
    await start();
    const ids = publish('news', 'seen', 'a', 'b', 'c');
    const loop = messages(`${fake.url}/news`, { max: 10, after: ids[0] });
    const received = [(await loop.next()).value, (await loop.next()).value, (await loop.next()).value];
    const next = loop.next();
    await until(() => fake.requests.length === 2);
    publish('news', 'd');
    received.push((await next).value);
    await loop.return();

    expect(received).toEqual(['a', 'b', 'c', 'd']);
    expect(fake.requests.map(({ search }) => search)).toEqual([`?max=10&after=${ids[0]}`, `?max=10&after=${ids[3]}`]);
  });

  it('leaves the cursor at the last message consumed when the loop is left mid-batch: resuming from it gets the rest', async () => {
    await start();
    const ids = publish('news', 'seen', 'a', 'b', 'c', 'd');
    let saved: string | undefined;
    for await (const event of events(`${fake.url}/news`, { max: 10, after: ids[0] })) {
      if (event.type === 'message') saved = event.id;
      if (event.type === 'message' && event.message === 'b') break;
    }
    expect(saved).toBe(ids[2]);

    const subscription = subscribe(`${fake.url}/news`, {
      max: 10,
      after: saved,
      onMessage: (message) => {
        if (message === 'c') subscription.close();
      },
    });
    expect(subscription.lastId).toBe(ids[2]);
    await subscription.done;
    expect(subscription.lastId).toBe(ids[3]);

    const rest: string[] = [];
    for await (const message of messages(`${fake.url}/news`, { max: 10, after: subscription.lastId })) {
      rest.push(message);
      break;
    }
    expect(rest).toEqual(['d']);
    expect(polls().map(({ after }) => after)).toEqual([ids[0], ids[2], ids[3]]);
  });

  it('gives onMessage each id, and keeps as lastId the last message onMessage finished with, not one that threw', async () => {
    await start();
    const ids = publish('news', 'a', 'b', 'c');
    const handled: [string, string | undefined][] = [];
    const errors: unknown[] = [];
    const subscription = subscribe(`${fake.url}/news`, {
      after: ids[0],
      onMessage: async (message, { id }) => {
        handled.push([message, id]);
        if (message === 'c') throw new Error('cannot handle it');
      },
      onError: (error) => errors.push(error),
    });
    await subscription.done;

    expect(handled).toEqual([
      ['b', ids[1]],
      ['c', ids[2]],
    ]);
    expect(errors).toEqual([new Error('cannot handle it')]);
    expect(subscription.lastId).toBe(ids[1]);
    // The failed message did not move the cursor either: no poll asked for what follows it.
    expect(polls().map(({ after }) => after)).toEqual([ids[0], ids[1]]);
  });

  it('stops with a PollRefusedError when the server refuses the cursor (400)', async () => {
    await start();
    publish('news', 'a');
    const retried: unknown[] = [];
    const refused = messages(`${fake.url}/news`, { after: 'no-such-id', onRetry: (error) => retried.push(error) }).next();
    await expect(refused).rejects.toBeInstanceOf(PollRefusedError);
    await expect(refused).rejects.toMatchObject({ status: 400, body: 'malformed or unknown cursor' });

    const errors: unknown[] = [];
    const subscription = subscribe(`${fake.url}/news`, {
      after: `${fake.publish('news', 'b')}0`,
      onMessage: () => undefined,
      onError: (error) => errors.push(error),
    });
    await subscription.done;
    expect(errors).toMatchObject([{ name: 'PollRefusedError', status: 400 }]);
    expect(retried).toEqual([]);
    expect(polls().map(({ status }) => status)).toEqual([400, 400]);
  });
});
