import { afterEach, describe, expect, it } from '@jest/globals';
import { CanActivate, UnauthorizedException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InvalidOptionsError } from '../../lib/index.js';
import { adapters } from '../support/adapters.js';
import { brokers, freshNamespace } from '../support/brokers.js';
import { leavingPoll, request } from '../support/http-client.js';
import { LogCapture } from '../support/log-capture.js';
import { parseMultipart } from '../support/multipart.js';
import { pistachioModule, startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

/** A global guard that refuses every request it sees: the framework's route answers 403, the direct route never asks it. */
class DenyAll implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

const setups = brokers
  .filter((broker) => broker.redis?.name !== 'redis cluster')
  .flatMap((broker) => adapters.map((adapter) => ({ name: `the ${broker.name} broker on ${adapter.name}`, broker, adapter })));

describe.each(setups)('The direct route on $name', ({ broker, adapter }) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  /** The queues on the direct route, behind a global guard that refuses everything and the app's global interceptor. */
  async function start(options: Partial<TestOptions> = {}, logger?: LogCapture): Promise<TestApp> {
    app = await startPistachio(
      { namespace: freshNamespace(), path: '/messages', directRoute: true, ...broker.options(), ...options },
      { adapter, guards: [new DenyAll()], logger },
    );
    return app;
  }
  const waiting = (count: number) => until(() => app.pistachio.stats().pollsWaiting === count);

  it("answers polls ahead of the app's guards and interceptors, with the route's headers and figures", async () => {
    const { url, pistachio, arrivals } = await start();
    await pistachio.publish('queued', 'first');

    const answer = await request(`${url}/messages/queued`);
    expect(answer).toMatchObject({ status: 200, body: 'first' });
    expect(answer.headers).toMatchObject({ 'cache-control': 'no-store', 'content-type': 'text/plain; charset=utf-8', 'content-length': '5' });
    if (broker.delivery === 'at-least-once') {
      expect(answer.headers['pistachio-receipt']).toEqual(expect.any(String));
    }
    const poll = request(`${url}/messages/live`);
    await waiting(1);
    await pistachio.publish('live', 'second');
    expect(await poll).toMatchObject({ status: 200, body: 'second' });

    expect(arrivals.count('queued') + arrivals.count('live')).toBe(0);
    expect(pistachio.stats().polls).toMatchObject({ message: 2 });
    // Everything else of the route is the framework's, behind the app's guard.
    expect((await request(`${url}/messages/queued`, { method: 'HEAD' })).status).toBe(403);
    expect((await request(`${url}/messages/queued`, { headers: { Accept: 'text/event-stream' } })).status).toBe(403);
  });

  it('answers 504 with the JSON body of Nest, and refuses bad input with a 400 that says why, consuming nothing', async () => {
    const { url, pistachio } = await start({ timeout: 200 });
    await pistachio.publish('kept', 'still here');

    const timedOut = await request(`${url}/messages/idle`);
    expect(timedOut.status).toBe(504);
    expect(timedOut.headers).toMatchObject({ 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' });
    expect(JSON.parse(timedOut.body)).toMatchObject({ statusCode: 504, message: 'Timeout waiting for response' });
    const badTimeout = await request(`${url}/messages/kept?timeout=soon`);
    expect(badTimeout.status).toBe(400);
    expect(JSON.parse(badTimeout.body).message).toContain('timeout');
    const badName = await request(`${url}/messages/${'x'.repeat(129)}`);
    expect(badName.status).toBe(400);
    expect(JSON.parse(badName.body).message).toMatch(/endpoint/i);
    expect(await pistachio.length('kept')).toBe(1);
    expect(pistachio.stats().polls).toMatchObject({ timeout: 1, refused: 2 });
  });

  it('asks authorize for every endpoint, keeping what it refuses', async () => {
    const { url, pistachio } = await start({ authorize: (poll, endpoint) => endpoint !== 'secret' && poll.headers['x-user'] === 'me' });
    await pistachio.publish('secret', 'kept');
    await pistachio.publish('mine', 'yours');

    expect((await request(`${url}/messages/mine`)).status).toBe(403);
    expect((await request(`${url}/messages/secret`, { headers: { 'X-User': 'me' } })).status).toBe(403);
    expect(await request(`${url}/messages/mine`, { headers: { 'X-User': 'me' } })).toMatchObject({ status: 200, body: 'yours' });
    expect(await pistachio.length('secret')).toBe(1);
  });

  it("gives authorize the poll's query, and answers what it throws as Nest would, consuming nothing", async () => {
    const logs = new LogCapture();
    const { url, pistachio } = await start({
      authorize: (poll) => {
        if ((poll.query as Record<string, string>).token === 'boom') throw new Error('the hook failed');
        if ((poll.query as Record<string, string>).token !== 'secret') throw new UnauthorizedException('Who are you?');
        return true;
      },
    }, logs);
    await pistachio.publish('guarded', 'kept');

    const unauthorized = await request(`${url}/messages/guarded?token=guess`);
    expect(unauthorized.status).toBe(401);
    expect(JSON.parse(unauthorized.body)).toMatchObject({ statusCode: 401, message: 'Who are you?' });
    const failed = await request(`${url}/messages/guarded?token=boom`);
    expect(failed.status).toBe(500);
    expect(JSON.parse(failed.body)).toEqual({ statusCode: 500, message: 'Internal server error' });
    expect(logs.count('error', /the hook failed/)).toBe(1);
    expect(await pistachio.length('guarded')).toBe(1);
    expect(await request(`${url}/messages/guarded?token=secret`)).toMatchObject({ status: 200, body: 'kept' });
  });

  it('answers 503 with Retry-After beyond maxWaiters, and leaves other URLs of the path to the framework', async () => {
    const { url } = await start({ maxWaiters: 1, retryAfter: 3 });
    const waiting = request(`${url}/messages/first`);
    await until(() => app.pistachio.stats().pollsWaiting === 1);

    const refused = await request(`${url}/messages/second`);
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('3');
    // A trailing slash, another case: the framework's (Express serves them behind the app's guard, Fastify has no such route).
    expect((await request(`${url}/messages/second/`)).status).toBe(adapter.name === 'express' ? 403 : 404);
    expect((await request(`${url}/MESSAGES/second`)).status).toBe(adapter.name === 'express' ? 403 : 404);
    await app.pistachio.publish('first', 'done');
    expect(await waiting).toMatchObject({ status: 200, body: 'done' });
  });

  it('takes receipts with ?ack= as the route does', async () => {
    const { url, pistachio } = await start();
    await pistachio.publish('acked', 'one');
    await pistachio.publish('acked', 'two');

    const first = await request(`${url}/messages/acked`);
    expect(first.body).toBe('one');
    if (broker.delivery === 'at-most-once') {
      expect((await request(`${url}/messages/acked?ack=1.AAAAAAAAAAAAAAAA`)).status).toBe(400);
      return;
    }
    const receipt = first.headers['pistachio-receipt'] as string;
    expect(await request(`${url}/messages/acked?ack=${receipt}`)).toMatchObject({ status: 200, body: 'two' });
    // Acknowledged already: the second acknowledgement of it is refused.
    expect((await request(`${url}/messages/acked?ack=${receipt}`)).status).toBe(409);
  });

  it('answers batches and multiplexed polls as the route does', async () => {
    const { url, pistachio } = await start();
    await Promise.all(['one', 'two', 'three'].map((message) => pistachio.publish('batch', message)));
    await pistachio.publish('b', 'to b');

    const batch = await request(`${url}/messages/batch?max=5`);
    expect(batch.status).toBe(200);
    expect(parseMultipart(batch).map((part) => part.body.toString())).toEqual(['one', 'two', 'three']);
    const multiplexed = await request(`${url}/messages/a,b`);
    expect(multiplexed).toMatchObject({ status: 200, body: 'to b' });
    expect(multiplexed.headers['pistachio-endpoint']).toBe('b');
  });

  it('puts back the message of a poll whose client left before its answer was written', async () => {
    const { url, pistachio } = await start();
    const leaving = leavingPoll(`${url}/messages/left`);
    await waiting(1);
    leaving.leave();
    await waiting(0);
    await pistachio.publish('left', 'not lost');

    expect(await leaving.answer).toBeNull();
    expect(await request(`${url}/messages/left`)).toMatchObject({ status: 200, body: 'not lost' });
    expect(pistachio.stats().polls).toMatchObject({ departed: 1, message: 1 });
  });
});

describe.each(adapters)('The direct route on $name, in the app', (adapter) => {
  let app: TestApp | undefined;
  afterEach(() => app?.app.close());

  it("serves the route under the app's global prefix, and no other path", async () => {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', directRoute: true }, { adapter, prefix: 'api', guards: [new DenyAll()] });
    await app.pistachio.publish('prefixed', 'here');

    expect((await request(`${app.url}/messages/prefixed`)).status).toBe(404);
    expect(await request(`${app.url}/api/messages/prefixed`)).toMatchObject({ status: 200, body: 'here' });
  });

  it('answers with the CORS headers, and leaves preflights to the framework', async () => {
    app = await startPistachio(
      { namespace: freshNamespace(), path: '/messages', directRoute: true, cors: { origin: 'https://app.example' } },
      { adapter, guards: [new DenyAll()] },
    );
    await app.pistachio.publish('cors', 'across');
    const origin = { Origin: 'https://app.example' };

    const answer = await request(`${app.url}/messages/cors`, { headers: origin });
    expect(answer).toMatchObject({ status: 200, body: 'across' });
    expect(answer.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(answer.headers['access-control-expose-headers']).toContain('Pistachio-Receipt');
    const preflight = await request(`${app.url}/messages/cors`, { method: 'OPTIONS', headers: { ...origin, 'Access-Control-Request-Method': 'GET' } });
    // Preflights are the framework's, as before: answered by the route's CORS before the app's guard.
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('GET');
  });

  it("takes its polls from the server's request events, leaving every other request to the listeners the server has then", async () => {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', directRoute: true }, { adapter });
    const seen: string[] = [];
    app.app.getHttpServer().on('request', (request: { url: string }) => seen.push(request.url));
    await app.pistachio.publish('direct', 'here');

    expect(await request(`${app.url}/messages/direct`)).toMatchObject({ status: 200, body: 'here' });
    expect((await request(`${app.url}/elsewhere`)).status).toBe(404);
    expect(seen).toEqual(['/elsewhere']);
  });

  it('serves broadcast channels too, resuming from a cursor', async () => {
    app = await startPistachio({ namespace: freshNamespace(), path: '/channels', mode: 'broadcast', directRoute: true }, { adapter, guards: [new DenyAll()] });
    const poll = request(`${app.url}/channels/news`);
    await until(() => app!.pistachio.stats().pollsWaiting === 1);
    await app.pistachio.publish('news', 'first');
    await app.pistachio.publish('news', 'second');

    const answer = await poll;
    expect(answer).toMatchObject({ status: 200, body: 'first' });
    const id = answer.headers['pistachio-id'] as string;
    expect(await request(`${app.url}/channels/news?after=${id}`)).toMatchObject({ status: 200, body: 'second' });
    expect(await request(`${app.url}/channels/news`, { headers: { 'Last-Event-ID': id } })).toMatchObject({ status: 200, body: 'second' });
  });

  it('starts in an application context, which has no HTTP server', async () => {
    app = undefined;
    const context = await NestFactory.createApplicationContext(pistachioModule({ namespace: freshNamespace(), directRoute: true }), { logger: false });
    await context.close();
  });

  it('refuses to start beside guards, which its polls would skip', async () => {
    app = undefined;
    await expect(
      startPistachio({ namespace: freshNamespace(), path: '/messages', directRoute: true, guards: [DenyAll] }, { adapter }),
    ).rejects.toThrow(InvalidOptionsError);
  });
});
