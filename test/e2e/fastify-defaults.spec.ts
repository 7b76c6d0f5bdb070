import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { PistachioModule, PistachioService } from '../../lib/index.js';
import { request } from '../support/http-client.js';
import { LogCapture } from '../support/log-capture.js';
import { startApp, TestApp } from '../support/start-app.js';

const HINT = /Fastify's router takes path parameters of up to 100 characters.*new FastifyAdapter\(\{ routerOptions: \{ maxParamLength: 128 \} \}\)/;

describe('PistachioModule on a Fastify adapter with default options, as Nest docs create it', () => {
  const logs = new LogCapture();
  const first = PistachioModule.forRoot({ name: 'first', namespace: 'first', path: '/first' });
  const second = PistachioModule.forRoot({ name: 'second', namespace: 'second', path: '/second' });
  let app: TestApp;
  const serviceOf = (registration: typeof first) => app.app.select(registration).get(PistachioService, { strict: true });

  beforeAll(async () => {
    // Two registrations: the hint is about the adapter, so it is said once, not once per registration.
    app = await startApp([first, second], { adapter: { name: 'fastify', create: () => new FastifyAdapter() }, logger: logs });
  });
  afterAll(() => app?.app.close());

  it('starts, and says once how to serve endpoint names of up to 128 characters', () => {
    expect(logs.count('warn', HINT)).toBe(1);
  });

  it("serves an endpoint name as long as the router's limit, 100 characters", async () => {
    const name = 'a'.repeat(100);
    await serviceOf(first).publish(name, 'at the limit');

    expect(await request(`${app.url}/first/${name}`)).toMatchObject({ status: 200, body: 'at the limit' });
  });

  it("leaves a longer name to Fastify's own 414, reading nothing", async () => {
    const name = 'a'.repeat(101);
    await serviceOf(second).publish(name, 'kept');

    expect((await request(`${app.url}/second/${name}`)).status).toBe(414);
    expect(await serviceOf(second).length(name)).toBe(1);
  });
});
