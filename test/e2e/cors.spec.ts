import { afterEach, describe, expect, it } from '@jest/globals';
import { CanActivate, Controller, Get, Module } from '@nestjs/common';
import { request } from '../support/http-client.js';
import { pistachioModule, startApp, startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { adapters } from '../support/adapters.js';

const ORIGIN = 'https://app.example';

describe.each(adapters)('CORS on the route on $name', (adapter) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  const start = async (options: Partial<TestOptions>) =>
    (app = await startPistachio({ namespace: 'cors', path: '/messages', timeout: 1_000, ...options }, { adapter }));
  const fromOrigin = (origin = ORIGIN) => ({ headers: { Origin: origin } });

  it('puts the headers on every answer: 200, 504, 400, 503, and answers the preflight', async () => {
    await start({ cors: { origin: [ORIGIN], credentials: true, maxAge: 600 }, maxWaiters: 1 });
    await app.pistachio.publish('hello', 'hi');
    const delivered = await request(`${app.url}/messages/hello`, fromOrigin());
    const invalid = await request(`${app.url}/messages/a%20b`, fromOrigin());
    const waiting = request(`${app.url}/messages/waiting`, fromOrigin());
    await app.arrivals.reached('waiting');
    const overLimit = await request(`${app.url}/messages/more`, fromOrigin());

    const answers = { 200: delivered, 400: invalid, 503: overLimit, 504: await waiting };
    for (const [status, answer] of Object.entries(answers)) {
      expect(answer.status).toBe(Number(status));
      expect(answer.headers['access-control-allow-origin']).toBe(ORIGIN);
      expect(answer.headers['access-control-allow-credentials']).toBe('true');
      // The client reads Retry-After, at least once the receipt and the delivery count, and broadcast the id and gap;
      // a multiplexed poll's message names its endpoint.
      expect(answer.headers['access-control-expose-headers']).toBe(
        'Retry-After,Pistachio-Receipt,Pistachio-Delivery-Count,Pistachio-Visibility-Timeout,Pistachio-Id,Pistachio-Gap,Pistachio-Endpoint,Pistachio-Cursor',
      );
    }

    const preflight = await request(`${app.url}/messages/hello`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      'access-control-allow-origin': ORIGIN,
      'access-control-allow-methods': 'GET,DELETE,PATCH',
      'access-control-allow-headers': 'authorization',
      'access-control-max-age': '600',
      'cache-control': 'no-store',
    });
  });

  it('leaves out the headers for an origin it does not allow', async () => {
    await start({ cors: { origin: (origin) => origin === ORIGIN } });
    await app.pistachio.publish('hello', 'hi');

    const answer = await request(`${app.url}/messages/hello`, fromOrigin('https://evil.example'));
    expect(answer.status).toBe(200);
    expect(answer.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('sends no CORS header when the option is off, and answers OPTIONS 405', async () => {
    await start({});
    await app.pistachio.publish('hello', 'hi');

    const answer = await request(`${app.url}/messages/hello`, fromOrigin());
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
    const preflight = await request(`${app.url}/messages/hello`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' },
    });
    expect(preflight.status).toBe(405);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("keeps the headers under the app's global prefix, on a refusal by the app's guard too, and leaves the app's other routes alone", async () => {
    const refuseSecret: CanActivate = { canActivate: (context) => !context.switchToHttp().getRequest<{ url: string }>().url.includes('secret') };
    app = await startApp([pistachioModule({ namespace: 'cors', path: '/messages', timeout: 1_000, cors: { origin: [ORIGIN] } }), ElsewhereModule], {
      adapter,
      prefix: 'api',
      guards: [refuseSecret],
    });
    await app.pistachio.publish('hello', 'hi');

    const delivered = await request(`${app.url}/api/messages/hello`, fromOrigin());
    const refused = await request(`${app.url}/api/messages/secret`, fromOrigin());
    const preflight = await request(`${app.url}/api/messages/hello`, {
      method: 'OPTIONS',
      headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'GET' },
    });
    expect([delivered.status, refused.status, preflight.status]).toEqual([200, 403, 204]);
    for (const answer of [delivered, refused, preflight]) {
      expect(answer.headers).toMatchObject({ 'access-control-allow-origin': ORIGIN, 'cache-control': 'no-store' });
    }
    const other = await request(`${app.url}/api/elsewhere/hello`, fromOrigin());
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers['cache-control']).toBeUndefined();
  });
});

/** A route of the app's own beside the module's. */
@Controller('elsewhere')
class ElsewhereController {
  @Get(':endpoint')
  get(): string {
    return 'mine';
  }
}

@Module({ controllers: [ElsewhereController] })
class ElsewhereModule {}
