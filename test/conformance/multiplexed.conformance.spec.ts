import { afterEach, describe, expect, it } from '@jest/globals';
import { setups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { HoldInterceptor } from '../support/hold.interceptor.js';
import { HttpAnswer, leavingPoll, request } from '../support/http-client.js';
import { parseMultipart } from '../support/multipart.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(setups)('Multiplexed polls of queues on $name', ({ broker, adapter }) => {
  const atMostOnce = broker.delivery === 'at-most-once' ? it : it.skip;
  const atLeastOnce = broker.delivery === 'at-least-once' ? it : it.skip;
  let app: TestApp;
  afterEach(() => app.app.close());

  async function start(options: Partial<TestOptions> = {}, globals: Parameters<typeof startPistachio>[1] = {}): Promise<void> {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options(), ...options }, { adapter, ...globals });
  }
  const poll = (endpoints: string, query = '') => request(`${app.url}/messages/${endpoints}${query}`);
  const publishAll = async (endpoint: string, messages: string[]) => {
    for (const message of messages) {
      await app.pistachio.publish(endpoint, message);
    }
  };
  /** Each part of a batch as `<endpoint>:<body>`. */
  const parts = (answer: HttpAnswer) => parseMultipart(answer).map((part) => `${part.headers['pistachio-endpoint']}:${part.body}`);

  it('waits on every endpoint named and answers the first message of any, naming its endpoint', async () => {
    await start();
    const waiting = poll('inbox,room-1,notices');
    await until(async () => (await app.pistachio.presence('notices')) === 1);
    expect(await app.pistachio.presence('inbox')).toBe(1);

    await app.pistachio.publish('room-1', 'hello');
    const answer = await waiting;
    expect([answer.status, answer.body, answer.headers['pistachio-endpoint']]).toEqual([200, 'hello', 'room-1']);
    expect(await app.pistachio.presence('inbox')).toBe(0);
  });

  it('answers at once from an endpoint that holds messages, and 504 when none came', async () => {
    await start();
    await app.pistachio.publish('b', 'queued');

    const answer = await poll('a,b');
    expect([answer.status, answer.body, answer.headers['pistachio-endpoint']]).toEqual([200, 'queued', 'b']);
    expect((await poll('a,b', '?timeout=1000')).status).toBe(504);
  });

  it('batches across endpoints one from each in turn, keeping each endpoint in order', async () => {
    await start();
    await publishAll('a', ['a1', 'a2', 'a3']);
    await publishAll('b', ['b1']);
    await publishAll('c', ['c1', 'c2']);

    const answer = await poll('a,b,c', '?max=10');
    expect(parts(answer)).toEqual(['a:a1', 'b:b1', 'c:c1', 'a:a2', 'c:c2', 'a:a3']);
    expect(await app.pistachio.length('a')).toBe(0);
  });

  it('fills a batch that a wake-up started from the other endpoints in turn', async () => {
    await start();
    const waiting = poll('a,b', '?max=3');
    await until(async () => (await app.pistachio.presence('b')) === 1);
    await app.pistachio.publish('a', 'a1');

    const answer = await waiting;
    expect(parts(answer)[0]).toBe('a:a1');
    expect(answer.headers['content-type']).toMatch(/^multipart\/mixed/);
  });

  it('rotates single answers between a busy and a quiet endpoint: the busy one cannot hold back the quiet one', async () => {
    await start();
    await publishAll('busy', ['m1', 'm2', 'm3', 'm4']);
    await publishAll('quiet', ['q1']);

    const answers: string[] = [];
    for (let i = 0; i < 5; i++) {
      const answer = await poll('busy,quiet');
      answers.push(`${answer.headers['pistachio-endpoint']}:${answer.body}`);
    }
    expect(answers).toEqual(['busy:m1', 'quiet:q1', 'busy:m2', 'busy:m3', 'busy:m4']);
  });

  it('refuses a repeated name, too many endpoints and a bad name with a 400 saying which, taking nothing', async () => {
    await start({ maxEndpointsPerPoll: 3 });
    await app.pistachio.publish('a', 'kept');

    const repeated = await poll('a,b,a');
    expect([repeated.status, repeated.body]).toEqual([400, expect.stringContaining('Endpoint \\"a\\" is named twice')]);
    const tooMany = await poll('a,b,c,d');
    expect([tooMany.status, tooMany.body]).toEqual([400, expect.stringContaining('2 to 3 endpoints')]);
    const badName = await poll('a,b%20c');
    expect([badName.status, badName.body]).toEqual([400, expect.stringContaining('Invalid endpoint name \\"b c\\"')]);
    expect((await poll('a,')).status).toBe(400);
    expect(await app.pistachio.length('a')).toBe(1);
  });

  it('asks authorize about each endpoint; one refused is a 403 naming it, and nothing is taken from any', async () => {
    const asked: string[] = [];
    await start({
      authorize: (_, endpoint) => {
        asked.push(endpoint);
        return !endpoint.startsWith('secret');
      },
    });
    await app.pistachio.publish('open', 'kept');

    const refused = await poll('open,secret-1');
    expect([refused.status, refused.body]).toEqual([403, expect.stringContaining('endpoint \\"secret-1\\"')]);
    expect(asked).toEqual(['open', 'secret-1']);
    expect(await app.pistachio.length('open')).toBe(1);
  });

  it('counts a multiplexed poll once on each endpoint it waits on against maxWaitersPerEndpoint', async () => {
    await start({ maxWaitersPerEndpoint: 1 });
    const first = leavingPoll(`${app.url}/messages/a`);
    await until(async () => (await app.pistachio.presence('a')) === 1);

    const refused = await poll('b,a');
    expect([refused.status, refused.body]).toEqual([429, expect.stringContaining('\\"a\\"')]);
    first.leave();
    await first.answer;
  });

  atMostOnce('gives back what a multiplexed poll took for a client that left before its answer was written', async () => {
    const hold = new HoldInterceptor('a,b');
    await start({}, { interceptors: [hold] });
    await publishAll('b', ['b1', 'b2']);
    const client = leavingPoll(`${app.url}/messages/a,b?max=5`);
    await hold.holding;

    client.leave();
    expect(await client.answer).toBeNull();
    await until(async () => (await app.pistachio.length('b')) === 2);
    hold.letGo();
    expect(parts(await poll('a,b', '?max=5'))).toEqual(['b:b1', 'b:b2']);
  });

  atLeastOnce('keeps the claims of a client that left: its messages come back after the visibility timeout', async () => {
    const hold = new HoldInterceptor('a,b');
    await start({ visibilityTimeout: 500 }, { interceptors: [hold] });
    await app.pistachio.publish('a', 'claimed');
    const client = leavingPoll(`${app.url}/messages/a,b`);
    await hold.holding;

    client.leave();
    expect(await client.answer).toBeNull();
    hold.letGo();
    const again = await poll('a,b', '?timeout=5000');
    expect([again.status, again.body, again.headers['pistachio-delivery-count']]).toEqual([200, 'claimed', '2']);
  });

  atLeastOnce('acknowledges the receipts of two endpoints on one poll: each names its endpoint', async () => {
    await start({ visibilityTimeout: 60_000 });
    await app.pistachio.publish('a', 'a1');
    await app.pistachio.publish('b', 'b1');
    const first = parseMultipart(await poll('a,b', '?max=2'));
    const receipts = first.map((part) => part.headers['pistachio-receipt']);
    expect(receipts).toEqual([expect.stringMatching(/^a~\d+\.[\w-]{16}$/), expect.stringMatching(/^b~\d+\.[\w-]{16}$/)]);

    const next = await poll('a,b', `?ack=${receipts.join(',')}&timeout=1000`);
    expect(next.status).toBe(504);
    const twice = await poll('a,b', `?ack=${receipts[0]}&timeout=1000`);
    expect([twice.status, twice.body]).toEqual([409, expect.stringContaining(`Receipt ${receipts[0]} is unknown`)]);
    expect((await app.queue.deadLetters.count('a')) + (await app.pistachio.length('a')) + (await app.pistachio.length('b'))).toBe(0);
  });

  atLeastOnce('takes a receipt of a multiplexed answer in DELETE, and refuses one of another endpoint', async () => {
    await start();
    await app.pistachio.publish('b', 'b1');
    const receipt = String((await poll('a,b')).headers['pistachio-receipt']);

    expect((await request(`${app.url}/messages/a/${receipt}`, { method: 'DELETE' })).status).toBe(400);
    expect((await request(`${app.url}/messages/b/${receipt}`, { method: 'DELETE' })).status).toBe(204);
  });

  atLeastOnce('refuses on a multiplexed poll a receipt that names no endpoint, or one the poll does not wait on', async () => {
    await start();
    await app.pistachio.publish('a', 'kept');

    const bare = await poll('a,b', '?ack=1.AAAAAAAAAAAAAAAA');
    expect([bare.status, bare.body]).toEqual([400, expect.stringContaining('<endpoint>~<receipt>')]);
    const elsewhere = await poll('a,b', '?ack=c~1.AAAAAAAAAAAAAAAA');
    expect([elsewhere.status, elsewhere.body]).toEqual([400, expect.stringContaining('\\"c\\"')]);
    expect((await poll('a,b')).body).toBe('kept');
  });
});
