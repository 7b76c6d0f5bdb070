import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Broker } from '../../lib/brokers/broker.interface.js';
import { PISTACHIO_BROKER } from '../../lib/pistachio.constants.js';
import { setups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { leavingPoll, request } from '../support/http-client.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';

describe.each(setups)('The route on $name', ({ broker, adapter }) => {
  let app: TestApp;

  async function start(options: Partial<TestOptions> = {}): Promise<TestApp> {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options(), ...options }, { adapter });
    return app;
  }
  afterEach(() => app.app.close());

  it('answers 200 with a queued message, no-store and the text content type', async () => {
    const { url, pistachio } = await start();
    await pistachio.publish('foobar', 'hello');

    const answer = await request(`${url}/messages/foobar`);
    expect(answer).toMatchObject({ status: 200, body: 'hello' });
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(await pistachio.length('foobar')).toBe(0);
  });

  it('answers with the contentType option and the bytes as stored', async () => {
    const { url, pistachio } = await start({ contentType: 'application/json' });
    await pistachio.publish('json', { ok: true });

    const answer = await request(`${url}/messages/json`);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({ ok: true });
  });

  it('answers a waiting poll as soon as a message is published', async () => {
    const timeout = 20_000;
    const { url, pistachio, arrivals } = await start({ timeout });
    const poll = request(`${url}/messages/live`);
    await arrivals.reached('live');

    const publishedAt = Date.now();
    await pistachio.publish('live', 'now');
    const answer = await poll;
    expect(answer).toMatchObject({ status: 200, body: 'now' });
    expect(Date.now() - publishedAt).toBeLessThan(timeout / 2);
  });

  it('answers 504 when nothing comes within the timeout, timed from the request', async () => {
    const { url } = await start({ timeout: 300 });
    const sentAt = Date.now();
    const answer = await request(`${url}/messages/idle`);
    const elapsed = Date.now() - sentAt;

    expect(answer.status).toBe(504);
    expect(answer.headers['cache-control']).toBe('no-store');
    expect(answer.body).toContain('Timeout waiting for response');
    expect(elapsed).toBeGreaterThanOrEqual(300);
    expect(elapsed).toBeLessThan(1_000);
  });

  it.each([
    ['129 characters', 'x'.repeat(129)],
    ['an encoded slash', 'a%2Fb'],
    ['a NUL byte', '%00'],
    ['a star', '*'],
    ['a space', 'a%20b'],
    ['unicode', '%C3%A9t%C3%A9'],
    ['an encoded ..', '%2e%2e'],
    ['.', '.'],
    ['a hash', '%23x'],
  ])('answers 400 to %s without touching the broker', async (_, name) => {
    const { url, app: nest } = await start();
    const receive = jest.spyOn(nest.get<Broker>(PISTACHIO_BROKER), 'receive');

    const { answer } = leavingPoll(`${url}/messages/${name}`);
    const answered = await answer;
    expect(answered?.status).toBe(400);
    expect(answered?.headers['cache-control']).toBe('no-store');
    expect(answered?.body).toContain('Invalid endpoint name');
    expect(receive).not.toHaveBeenCalled();
  });

  it('answers 400 or 404 to the bare path', async () => {
    const { url } = await start();
    for (const path of ['/messages', '/messages/']) {
      expect([400, 404]).toContain((await request(`${url}${path}`)).status);
    }
  });

  it.each(['HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])(
    'answers %s with 405 and Allow: GET, consuming nothing',
    async (method) => {
      const { url, pistachio } = await start();
      await pistachio.publish('kept', 'still here');

      const answer = await request(`${url}/messages/kept`, { method });
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('GET');
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(await pistachio.length('kept')).toBe(1);
    },
  );

  it('ignores conditional headers: a message is never answered 304', async () => {
    const { url, pistachio } = await start();
    await pistachio.publish('fresh', 'hello');

    const answer = await request(`${url}/messages/fresh`, { headers: { 'If-None-Match': '*' } });
    expect(answer).toMatchObject({ status: 200, body: 'hello' });
  });
});
