import { afterEach, describe, expect, it } from '@jest/globals';
import { backendSetups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { EventStreamClient } from '../support/event-stream-client.js';
import { request } from '../support/http-client.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(backendSetups)('Streams (text/event-stream) on $name', ({ broker, adapter }) => {
  let app: TestApp;
  const clients: EventStreamClient[] = [];
  afterEach(async () => {
    clients.splice(0).forEach((client) => client.close());
    await app.app.close();
  });

  const start = (options: Partial<TestOptions> = {}) =>
    startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options(), ...options }, { adapter }).then((started) => (app = started));
  const open = async (endpoint: string, headers: Record<string, string> = {}) => {
    const client = await EventStreamClient.open(`${app.url}/messages/${endpoint}`, headers);
    clients.push(client);
    return client;
  };

  describe('of a broadcast channel', () => {
    const startChannels = (options: Partial<TestOptions> = {}) => start({ mode: 'broadcast', ...options });

    it('answers 200 text/event-stream at once with retry first, then each message as an event with its id, lines as data lines', async () => {
      await startChannels({ retryAfter: 2 });
      const client = await open('news');
      expect([client.status, client.headers['content-type'], client.headers['cache-control'], client.headers['x-accel-buffering']]).toEqual([
        200,
        'text/event-stream',
        'no-store',
        'no',
      ]);
      await until(async () => (await app.pistachio.presence('news')) === 1);
      await app.pistachio.publish('news', 'first');
      await app.pistachio.publish('news', 'two\nlines\r\nand\rthree');
      await app.pistachio.publish('news', Buffer.from([0xff, 0x00, 0xfe]));

      const events = await client.until(3);
      expect(client.retry).toBe(2_000);
      expect(events.map(({ type, data }) => [type, data])).toEqual([
        ['message', 'first'],
        ['message', 'two\nlines\nand\nthree'],
        ['binary', Buffer.from([0xff, 0x00, 0xfe]).toString('base64')],
      ]);
      const { messages } = await app.channel.read('news', { after: '0-0', max: 3, timeout: 1_000 });
      expect(events.map(({ lastEventId }) => lastEventId)).toEqual(messages.map(({ id }) => id));
    });

    it('resumes after Last-Event-ID with nothing lost, and signals a gap as an event naming the oldest id retained', async () => {
      await startChannels({ retention: 3 });
      for (const message of ['a', 'b', 'c']) {
        await app.pistachio.publish('resume', message);
      }
      const { messages } = await app.channel.read('resume', { after: '0-0', max: 3, timeout: 1_000 });
      const resumed = await open('resume', { 'Last-Event-ID': messages[0].id });
      expect((await resumed.until(2)).map(({ data }) => data)).toEqual(['b', 'c']);

      for (const message of ['d', 'e', 'f']) {
        await app.pistachio.publish('resume', message);
      }
      const late = await open('resume', { 'Last-Event-ID': messages[0].id });
      const events = await late.until(4);
      expect(events.map(({ type, data }) => (type === 'gap' ? `gap ${data}` : data))).toEqual([`gap ${events[1].lastEventId}`, 'd', 'e', 'f']);
    });

    it('streams several channels, each event typed by its channel with the multiplexed cursor as its id, which resumes them all', async () => {
      await startChannels({ retention: 3 });
      const client = await open('news,alerts');
      await until(async () => (await app.pistachio.presence('news')) === 1 && (await app.pistachio.presence('alerts')) === 1);
      await app.pistachio.publish('news', 'n1');
      await app.pistachio.publish('alerts', 'a1');
      const seen = await client.until(2);
      expect(seen.map(({ type, data }) => [type, data])).toEqual([
        ['news', 'n1'],
        ['alerts', 'a1'],
      ]);
      const ids = async (channel: string) => (await app.channel.read(channel, { after: '0-0', max: 10, timeout: 1_000 })).messages.map(({ id }) => id);
      const [news, alerts] = [await ids('news'), await ids('alerts')];
      expect(seen[0].lastEventId.startsWith(`news~${news[0]},alerts~`)).toBe(true);
      expect(seen[1].lastEventId).toBe(`news~${news[0]},alerts~${alerts[0]}`);
      client.close();

      await app.pistachio.publish('news', 'n2');
      await app.pistachio.publish('alerts', Buffer.from([0xff, 0xfe]));
      const resumed = await open('news,alerts', { 'Last-Event-ID': seen[1].lastEventId });
      const events = await resumed.until(2);
      expect(events.map(({ type, data }) => [type, data]).sort()).toEqual([
        ['alerts~binary', Buffer.from([0xff, 0xfe]).toString('base64')],
        ['news', 'n2'],
      ]);

      for (const message of ['n3', 'n4', 'n5', 'n6']) {
        await app.pistachio.publish('news', message);
      }
      const late = await open('news,alerts', { 'Last-Event-ID': seen[1].lastEventId });
      const caughtUp = await late.until(5);
      const ofNews = caughtUp.filter(({ type }) => type.startsWith('news'));
      expect(ofNews.map(({ type, data }) => (type === 'news~gap' ? 'gap' : data))).toEqual(['gap', 'n4', 'n5', 'n6']);
      expect(ofNews[0].data).toBe((await ids('news'))[0]);
    });

    it('refuses a cursor of the other kind with a 400: a channel id on a stream of several, a multiplexed cursor on one', async () => {
      await startChannels();
      expect((await open('news,alerts', { 'Last-Event-ID': '0-0' })).status).toBe(400);
      expect((await open('news', { 'Last-Event-ID': 'news~0-0,alerts~0-0' })).status).toBe(400);
    });

    it('ends a stream whose client stopped reading once it falls behind; a reconnect by Last-Event-ID loses nothing', async () => {
      await startChannels({ retention: 1_000, heartbeat: 1_000 });
      const slow = await open('flood');
      await until(async () => (await app.pistachio.presence('flood')) === 1);
      slow.pause();
      const big = 'y'.repeat(256 * 1024);
      // 20 MB: more than the socket buffers take, so that the stream falls behind.
      const published = Array.from({ length: 80 }, (_, i) => `${i}:${big}`);
      for (const message of published) {
        await app.pistachio.publish('flood', message);
      }
      // Behind from one heartbeat to the next, the stream is cut: it no longer counts as a subscriber.
      await until(async () => (await app.pistachio.presence('flood')) === 0, 10_000);

      const again = await open('flood', { 'Last-Event-ID': '0-0' });
      expect((await again.until(published.length)).map(({ data }) => data)).toEqual(published);
    }, 20_000);

    it('sends a comment every heartbeat', async () => {
      await startChannels({ heartbeat: 100 });
      const client = await open('quiet');
      await client.heartbeats(3);
      expect(client.events).toEqual([]);
    });

    it('refuses ?timeout=, ?max=, ?ack= and a malformed Last-Event-ID with a 400, and counts a stream against maxWaitersPerEndpoint', async () => {
      await startChannels({ maxWaitersPerEndpoint: 1 });
      for (const query of ['?timeout=5000', '?max=2', '?ack=1.AAAAAAAAAAAAAAAA']) {
        const refused = await open(`checked${query}`);
        expect([query, refused.status]).toEqual([query, 400]);
      }
      expect((await open('checked', { 'Last-Event-ID': 'not an id' })).status).toBe(400);

      const first = await open('busy');
      expect(first.status).toBe(200);
      const second = await open('busy');
      await second.ended;
      expect([second.status, second.headers['retry-after']]).toEqual([429, '1']);
      const poll = await request(`${app.url}/messages/busy?timeout=1000`);
      expect(poll.status).toBe(429);
    });

    it('ends every stream promptly at shutdown', async () => {
      await startChannels();
      const client = await open('closing');
      await until(async () => (await app.pistachio.presence('closing')) === 1);
      await app.app.close();
      await client.ended;
      app = await startChannels(); // afterEach closes an app
    });
  });

  describe('of a queue delivered at most once', () => {
    it('shares the messages of an endpoint between streams, each exactly once', async () => {
      await start();
      const streams = [await open('shared'), await open('shared')];
      await until(async () => (await app.pistachio.presence('shared')) === 2);
      const published = Array.from({ length: 40 }, (_, i) => `m${i}`);
      for (const message of published) {
        await app.pistachio.publish('shared', message);
      }
      await until(() => streams[0].events.length + streams[1].events.length === published.length);
      const received = streams.flatMap((stream) => stream.events.map(({ data }) => data));
      expect(received.sort()).toEqual([...published].sort());
      expect(await app.pistachio.length('shared')).toBe(0);
    });

    it('takes from the endpoints of a stream of several in turn, each event typed by its endpoint', async () => {
      await start();
      for (const endpoint of ['q1', 'q2']) {
        for (let i = 1; i <= 3; i++) {
          await app.pistachio.publish(endpoint, `${endpoint}.${i}`);
        }
      }
      const client = await open('q1,q2');
      const events = await client.until(6);
      expect(events.map(({ type, data }) => [type, data])).toEqual([
        ['q1', 'q1.1'],
        ['q2', 'q2.1'],
        ['q1', 'q1.2'],
        ['q2', 'q2.2'],
        ['q1', 'q1.3'],
        ['q2', 'q2.3'],
      ]);
      await app.pistachio.publish('q2', Buffer.from([0xff, 0xfe]));
      expect((await client.until(7))[6]).toMatchObject({ type: 'q2~binary', data: Buffer.from([0xff, 0xfe]).toString('base64') });
      expect([await app.pistachio.length('q1'), await app.pistachio.length('q2')]).toEqual([0, 0]);
    });

    it('takes nothing for a stream that stopped reading beyond the one in flight, and gives back what never left', async () => {
      await start();
      const slow = await open('slow');
      await until(async () => (await app.pistachio.presence('slow')) === 1);
      slow.pause();
      const big = 'x'.repeat(512 * 1024);
      for (let i = 0; i < 40; i++) {
        await app.pistachio.publish('slow', `${i}:${big}`);
      }
      // The stream takes a message only once the last has gone to the socket: the rest stay queued.
      await until(async () => (await app.pistachio.length('slow')) < 40);
      slow.close();
      await until(async () => (await app.pistachio.presence('slow')) === 0);
      expect(await app.pistachio.length('slow')).toBeGreaterThan(20);
    });
  });

  describe('at least once', () => {
    it('refuses a stream with a 406 that says to poll, and takes nothing', async () => {
      await start({ delivery: 'at-least-once' });
      await app.pistachio.publish('acked', 'kept');
      const refused = await open('acked');
      await refused.ended;
      expect(refused.status).toBe(406);
      expect(refused.body).toContain('poll it');
      expect(await app.pistachio.length('acked')).toBe(1);
    });
  });
});
