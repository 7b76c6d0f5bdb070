import { afterEach, describe, expect, it } from '@jest/globals';
import { PistachioQueue, WrongModeError } from '../../lib/index.js';
import { adapters, backendSetups } from '../support/adapters.js';
import { deployments, freshNamespace } from '../support/brokers.js';
import { readersWaiting, Received, receivedFrom, subscriber } from '../support/channel-subscribers.js';
import { request } from '../support/http-client.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(backendSetups)('Broadcast channels on $name', ({ broker, adapter }) => {
  let app: TestApp;
  let namespace: string;
  afterEach(() => app.app.close());

  const start = async (options: Partial<TestOptions> = {}) => {
    namespace = freshNamespace();
    app = await startPistachio(
      { namespace, path: '/feed', mode: 'broadcast', ...broker.options(), ...options },
      { adapter },
    );
  };
  const url = (query = '', channel = 'news') => `${app.url}/feed/${channel}${query}`;
  const waiting = (count: number, channel = 'news') =>
    readersWaiting(app, `${namespace}:${channel}`, count, broker.redis);
  it('gives a read from a cursor the message published as the read starts, not only the one after', async () => {
    await start();
    await app.pistachio.publish('race', 'a');
    const [a] = (await app.channel.read('race', { after: '0-0', timeout: 1_000 })).messages;
    // The read looks for what the channel retains after its cursor, then waits: the publish comes between the two.
    const reading = app.channel.read('race', { after: a.id, timeout: 5_000, max: 10 });
    await app.pistachio.publish('race', 'b');
    await app.pistachio.publish('race', 'c');
    expect((await reading).messages[0].message.toString()).toBe('b');
  });

  /** Publishes `bodies` and answers their ids, as a subscriber that waited from before saw them. */
  const publishAll = async (bodies: string[]): Promise<Received[]> => {
    const seen = subscriber(url(), bodies.length);
    await waiting(app.pistachio.stats().pollsWaiting + 1);
    for (const body of bodies) {
      await app.pistachio.publish('news', body);
    }
    return seen;
  };

  it('gives every subscriber every message, in order, each with its id', async () => {
    await start();
    const bodies = Array.from({ length: 12 }, (_, i) => `m${i}`);
    const subscribers = [1, 2, 3].map(() => subscriber(url(), bodies.length));
    await waiting(3);
    for (const body of bodies) {
      await app.pistachio.publish('news', body);
    }

    const received = await Promise.all(subscribers);
    for (const messages of received) {
      expect(messages.map(({ body }) => body)).toEqual(bodies);
      expect(messages.map(({ id }) => id)).toEqual(received[0].map(({ id }) => id));
    }
    const ids = received[0].map(({ id }) => id);
    expect(ids.every((id) => /^\d+-\d+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect(await app.pistachio.length('news')).toBe(bodies.length);
  });

  it('waits, without a cursor, for the next message published, never one from before', async () => {
    await start();
    const [before] = await publishAll(['before']);
    const poll = request(url());
    await waiting(1);
    await app.pistachio.publish('news', 'after');

    const answer = await poll;
    expect(answer).toMatchObject({ status: 200, body: 'after' });
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['pistachio-gap']).toBeUndefined();
    expect(answer.headers['pistachio-id']).not.toBe(before.id);
  });

  it('resumes after a cursor at once, by ?after= or Last-Event-ID, and waits at the latest', async () => {
    await start();
    const [a, b, c] = await publishAll(['a', 'b', 'c']);

    expect(receivedFrom(await request(url(`?after=${a.id}`)))).toEqual([b]);
    expect(receivedFrom(await request(url(), { headers: { 'Last-Event-ID': b.id } }))).toEqual([c]);
    // ?after= wins over the header.
    expect(receivedFrom(await request(url(`?after=${a.id}`), { headers: { 'Last-Event-ID': b.id } }))).toEqual([b]);
    const atLatest = await request(url(`?after=${c.id}&timeout=1000`));
    expect(atLatest.status).toBe(504);

    const next = request(url(`?after=${c.id}`));
    await waiting(1);
    await app.pistachio.publish('news', 'd');
    expect(receivedFrom(await next)).toEqual([expect.objectContaining({ body: 'd' })]);
  });

  it('answers a batch after a cursor, each part with its id, and reading removes nothing', async () => {
    await start();
    const [a, ...rest] = await publishAll(['a', 'b', 'c', 'd']);

    const batch = await request(url(`?after=${a.id}&max=10`));
    expect(batch.headers['content-type']).toMatch(/^multipart\/mixed; boundary=/);
    expect(receivedFrom(batch)).toEqual(rest);
    expect(receivedFrom(await request(url(`?after=${a.id}&max=2`)))).toEqual(rest.slice(0, 2));
    expect(await app.pistachio.length('news')).toBe(4);
  });

  it('replays a channel from its first message after 0-0, with a gap only once messages were dropped', async () => {
    await start({ retention: 3 });
    const [a, b] = await publishAll(['a', 'b']);

    const fromOrigin = await request(url('?after=0-0&max=10'));
    expect(receivedFrom(fromOrigin)).toEqual([a, b]);
    const waitingOnNew = request(url('?after=0-0', 'fresh'));
    await waiting(1, 'fresh');
    await app.pistachio.publish('fresh', 'first ever');
    expect(receivedFrom(await waitingOnNew)).toEqual([expect.objectContaining({ body: 'first ever' })]);

    await app.pistachio.publish('news', 'c');
    await app.pistachio.publish('news', 'd');
    const [oldest] = receivedFrom(await request(url('?after=0-0')));
    expect(oldest).toEqual({ id: b.id, body: 'b', gap: b.id });
  });

  it('reports a gap when the cursor fell out of retention, with the oldest retained message', async () => {
    await start({ retention: 3 });
    const [first] = await publishAll(['m0']);
    const later: Received[] = [];
    for (const body of ['m1', 'm2', 'm3', 'm4', 'm5']) {
      await app.pistachio.publish('news', body);
      const [{ id }] = (await app.channel.read('news', { after: (later.at(-1) ?? first).id })).messages;
      later.push({ id, body });
    }
    const retained = later.slice(-3);

    expect(receivedFrom(await request(url(`?after=${first.id}`)))).toEqual([{ ...retained[0], gap: retained[0].id }]);
    expect(receivedFrom(await request(url(`?after=${first.id}&max=10`)))).toEqual([{ ...retained[0], gap: retained[0].id }, ...retained.slice(1)]);
    // The last one dropped is no gap: everything after it is retained.
    const answer = await request(url(`?after=${later[1].id}`));
    expect(answer.headers['pistachio-gap']).toBeUndefined();
    expect(receivedFrom(answer)).toEqual([retained[0]]);
    expect(await app.pistachio.length('news')).toBe(3);
  });

  it('reports a gap to a cursor on a channel that expired, with the first message published since', async () => {
    await start({ messageTtl: 1_000 });
    const [gone] = await publishAll(['gone']);
    await until(async () => (await app.pistachio.length('news')) === 0);

    const resumed = request(url(`?after=${gone.id}`));
    await waiting(1);
    await app.pistachio.publish('news', 'anew');
    const [anew] = receivedFrom(await resumed);
    expect(anew).toEqual({ id: anew.id, body: 'anew', gap: anew.id });
  });

  it('refuses a malformed or unknown cursor, and an ack, with a 400 that says why', async () => {
    await start();
    const [only] = await publishAll(['only']);
    const [ms, sequence] = only.id.split('-').map(BigInt);
    const newer = `${ms}-${sequence + 1n}`;

    for (const query of ['?after=abc', '?after=1-2-3', '?after=', `?after=${newer}`, '?after=1-1&after=1-2', '?ack=x']) {
      const answer = await request(url(query));
      expect(answer.status).toBe(400);
      expect(answer.body).toMatch(/cursor|ack/);
    }
    expect((await request(url(), { headers: { 'Last-Event-ID': 'junk' } })).status).toBe(400);
    expect(await app.pistachio.length('news')).toBe(1);
  });

  it('lets a subscriber whose client left come back with its cursor and miss nothing', async () => {
    await start();
    const [first] = await publishAll(['first']);
    const leaving = new AbortController();
    const gone = request(url(`?after=${first.id}`), { signal: leaving.signal }).catch(() => 'left');
    await waiting(1);
    leaving.abort();
    expect(await gone).toBe('left');
    await app.pistachio.publish('news', 'second');
    await app.pistachio.publish('news', 'third');

    const back = await subscriber(url(), 2, first.id);
    expect(back.map(({ body }) => body)).toEqual(['second', 'third']);
  });

  it('keeps the rules of the route: 405 for other methods, 404 for a receipt, 504 in time', async () => {
    await start({ timeout: 1_000 });
    const head = await request(url(), { method: 'HEAD' });
    expect(head.status).toBe(405);
    expect(head.headers.allow).toBe('GET');
    expect((await request(`${url()}/r.abc`, { method: 'DELETE' })).status).toBe(404);
    const late = await request(url());
    expect(late.status).toBe(504);
    expect(late.headers['cache-control']).toBe('no-store');
  });

  it('reads after a cursor through PistachioChannel, and provides no queue (the deprecated forwards refuse)', async () => {
    await start();
    const [a, b] = await publishAll(['a', 'b']);

    const read = await app.channel.read('news', { after: a.id, max: 5 });
    expect(read).toEqual({ messages: [{ id: b.id, message: Buffer.from('b') }], gap: false });
    expect(await app.channel.read('news', { after: b.id, timeout: 50 })).toEqual({ messages: [], gap: false });
    expect(() => app.app.get(PistachioQueue)).toThrow(/PistachioQueue/);
    await expect(app.pistachio.receive('news')).rejects.toThrow(WrongModeError);
    await expect(app.channel.read('news', { after: 'nope' })).rejects.toThrow(/Invalid cursor/);
  });
});

const instanceSetups = deployments.flatMap((deployment) =>
  adapters.map((adapter) => ({ name: `${deployment.name} on ${adapter.name}`, deployment, adapter })),
);

describe.each(instanceSetups)('Broadcast across instances of one $name', ({ deployment, adapter }) => {
  const apps: TestApp[] = [];
  afterEach(() => Promise.all(apps.splice(0).map(({ app }) => app.close())));

  it('gives subscribers on both instances what either one published, in one order', async () => {
    const namespace = freshNamespace();
    const options = { namespace, path: '/feed', mode: 'broadcast' as const, redis: deployment.option() };
    apps.push(await startPistachio(options, { adapter }), await startPistachio(options, { adapter }));
    const subscribers = apps.flatMap((app) => [1, 2].map(() => subscriber(`${app.url}/feed/news`, 6)));
    for (const app of apps) {
      await readersWaiting(app, `${namespace}:news`, 2, deployment);
    }
    for (let i = 0; i < 3; i++) {
      await apps[0].pistachio.publish('news', `a${i}`);
      await apps[1].pistachio.publish('news', `b${i}`);
    }

    const received = await Promise.all(subscribers);
    const order = received[0].map(({ body }) => body);
    expect(order).toEqual(['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
    received.forEach((messages) => expect(messages).toEqual(received[0]));
  });

  it('delivers what another Redis client XADDed, to subscribers waiting at the latest id and to cursors', async () => {
    const namespace = freshNamespace();
    const app = await startPistachio({ namespace, path: '/feed', mode: 'broadcast', redis: deployment.option() }, { adapter });
    apps.push(app);
    const [first] = await Promise.all([
      subscriber(`${app.url}/feed/news`, 1),
      readersWaiting(app, `${namespace}:news`, 1, deployment).then(() => app.pistachio.publish('news', 'first')),
    ]);
    const waitingAtLatest = subscriber(`${app.url}/feed/news`, 1, first[0].id);
    await readersWaiting(app, `${namespace}:news`, 1, deployment);
    const foreignId = await deployment.with((redis) => redis.xadd(`${namespace}:news`, '*', 'message', 'from redis-cli', 'other', 'field'));

    expect(await waitingAtLatest).toEqual([{ id: foreignId, body: 'from redis-cli' }]);
    expect(receivedFrom(await request(`${app.url}/feed/news?after=${first[0].id}`))).toEqual([{ id: foreignId, body: 'from redis-cli' }]);
  });

  it('takes anything else published on a wake channel as a wake-up, never as a message', async () => {
    const namespace = freshNamespace();
    const app = await startPistachio({ namespace, path: '/feed', mode: 'broadcast', redis: deployment.option() }, { adapter });
    apps.push(app);
    const waitingOne = subscriber(`${app.url}/feed/news`, 2);
    await readersWaiting(app, `${namespace}:news`, 1, deployment);
    await deployment.with(async (redis) => {
      await redis.spublish(`{${namespace}:news}#wake`, 'not a message\n');
      await redis.xadd(`${namespace}:news`, '*', 'message', 'raw');
      await redis.spublish(`{${namespace}:news}#wake`, 'wake up');
    });
    await app.pistachio.publish('news', 'through the module');

    expect((await waitingOne).map(({ body }) => body)).toEqual(['raw', 'through the module']);
  });
});
