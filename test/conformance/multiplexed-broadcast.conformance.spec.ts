import { afterEach, describe, expect, it } from '@jest/globals';
import { backendSetups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { HttpAnswer, request } from '../support/http-client.js';
import { parseMultipart } from '../support/multipart.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(backendSetups)('Multiplexed polls of broadcast channels on $name', ({ broker, adapter }) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  async function start(options: Partial<TestOptions> = {}): Promise<void> {
    const registration = { namespace: freshNamespace(), path: '/live', mode: 'broadcast', ...broker.options(), ...options } as const;
    app = await startPistachio(registration, { adapter });
  }
  const poll = (channels: string, query = '', headers?: Record<string, string>) => request(`${app.url}/live/${channels}${query}`, { headers });
  const after = (cursor: unknown) => `?after=${encodeURIComponent(String(cursor))}`;
  /**
   * Waits until this instance reads `last` as the latest message of `channel` after its position in `cursor`: on Redis
   * an instance answers reads from a cache fed by Pub/Sub, which may hear a publish a moment after it returned.
   */
  const heard = (channel: string, cursor: unknown, last: string) =>
    until(async () => {
      const position = String(cursor).split(',').find((part) => part.startsWith(`${channel}~`))!.slice(channel.length + 1);
      const { messages } = await app.channel.read(channel, { after: position, max: 10, timeout: 1_000 });
      return messages.at(-1)?.message.toString() === last;
    });
  /** Each part of a batch as `<channel>:<body>`, with its cursor. */
  const parts = (answer: HttpAnswer) => parseMultipart(answer).map((part) => ({ shown: `${part.headers['pistachio-endpoint']}:${part.body}`, cursor: part.headers['pistachio-cursor'] }));

  it('waits on every channel named, and answers with the channel, its id and the cursor of all of them', async () => {
    await start();
    const waiting = poll('news,alerts');
    await until(async () => (await app.pistachio.presence('news')) === 1 && (await app.pistachio.presence('alerts')) === 1);
    await app.pistachio.publish('alerts', 'a1');

    const answer = await waiting;
    expect([answer.status, answer.body, answer.headers['pistachio-endpoint']]).toEqual([200, 'a1', 'alerts']);
    expect(answer.headers['pistachio-cursor']).toBe(`news~0-0,alerts~${answer.headers['pistachio-id']}`);
  });

  it('resumes every channel from a cursor by ?after= and by Last-Event-ID, also from the middle of a batch', async () => {
    await start();
    await app.pistachio.publish('news', 'n0');
    const waiting = poll('news,alerts');
    await until(async () => (await app.pistachio.presence('alerts')) === 1);
    await app.pistachio.publish('alerts', 'a1');
    const cursor = (await waiting).headers['pistachio-cursor'];
    for (const message of ['n1', 'n2']) {
      await app.pistachio.publish('news', message);
    }
    await app.pistachio.publish('alerts', 'a2');
    await heard('news', cursor, 'n2');
    await heard('alerts', cursor, 'a2');

    const batch = parts(await poll('news,alerts', `${after(cursor)}&max=10`));
    // The first answer served alerts: this one starts after it, with news.
    expect(batch.map(({ shown }) => shown)).toEqual(['news:n1', 'alerts:a2', 'news:n2']);
    const fromMiddle = parts(await poll('news,alerts', '?max=10', { 'Last-Event-ID': String(batch[0].cursor) }));
    expect(fromMiddle.map(({ shown }) => shown)).toEqual(['alerts:a2', 'news:n2']);
    const single = await poll('news,alerts', after(batch[1].cursor));
    expect([single.body, single.headers['pistachio-cursor']]).toEqual(['n2', batch[2].cursor]);
  });

  it('rotates single answers between a busy and a quiet channel', async () => {
    await start();
    const waiting = poll('busy,quiet');
    await until(async () => (await app.pistachio.presence('quiet')) === 1);
    await app.pistachio.publish('busy', 'm0');
    let cursor = (await waiting).headers['pistachio-cursor'];
    for (const message of ['m1', 'm2', 'm3']) {
      await app.pistachio.publish('busy', message);
    }
    await app.pistachio.publish('quiet', 'q1');
    await heard('busy', cursor, 'm3');
    await heard('quiet', cursor, 'q1');

    const answers: string[] = [];
    for (let i = 0; i < 4; i++) {
      const answer = await poll('busy,quiet', after(cursor));
      answers.push(`${answer.headers['pistachio-endpoint']}:${answer.body}`);
      cursor = answer.headers['pistachio-cursor'];
    }
    expect(answers).toEqual(['quiet:q1', 'busy:m1', 'busy:m2', 'busy:m3']);
  });

  it('names the channel of a gap, with the oldest message it retains', async () => {
    await start({ retention: 2 });
    await app.pistachio.publish('news', 'n0');
    const waiting = poll('news,alerts');
    await until(async () => (await app.pistachio.presence('alerts')) === 1);
    await app.pistachio.publish('alerts', 'a1');
    const cursor = (await waiting).headers['pistachio-cursor'];
    for (const message of ['n1', 'n2', 'n3']) {
      await app.pistachio.publish('news', message);
    }
    await heard('news', cursor, 'n3');

    const answer = await poll('news,alerts', `${after(cursor)}&max=10`);
    const batch = parseMultipart(answer);
    expect(batch.map((part) => String(part.body))).toEqual(['n2', 'n3']);
    expect(answer.headers['pistachio-gap']).toBe(`news~${batch[0].headers['pistachio-id']}`);
  });

  it('refuses a malformed cursor, one channel\'s id on a multiplexed poll and a multiplexed cursor on one channel', async () => {
    await start();

    const malformed = await poll('news,alerts', after('news~1-0,alerts'));
    expect([malformed.status, malformed.body]).toEqual([400, expect.stringContaining('Pistachio-Cursor')]);
    const single = await poll('news,alerts', after('1-0'));
    expect([single.status, single.body]).toEqual([400, expect.stringContaining('multiplexed poll resumes')]);
    const onOne = await poll('news', after('news~1-0'));
    expect([onOne.status, onOne.body]).toEqual([400, expect.stringContaining('multiplexed cursor resumes')]);
    expect((await poll('news,news')).status).toBe(400);
  });
});
