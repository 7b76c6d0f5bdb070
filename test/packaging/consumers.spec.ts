import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppProcess, installFixture, Outcome, packLibrary, run, startFixtureApp, succeeded } from './consumer-apps.js';

/**
 * The package as users get it: packed with `npm pack`, installed into fresh apps (fixtures/) whose peers come from the
 * registry. Each app is a copy in a temporary directory; nothing is written into the repo.
 */
describe('nestjs-pistachio installed from its tarball', () => {
  let work: string;
  let cjsApp: string;
  let esmApp: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'pistachio-packaging-'));
    const tarball = packLibrary(join(work, 'package'));
    tarball.catch(() => {}); // awaited by each install, which reports it
    [cjsApp, esmApp] = await Promise.all([
      installFixture('nest11-cjs', work, tarball),
      installFixture('nest12-esm-fastify', work, tarball),
    ]);
  }, 240_000);

  afterAll(async () => {
    if (work) {
      await rm(work, { recursive: true, force: true });
    }
  });

  describe('in a Nest 11 CommonJS app as `nest new` scaffolds it', () => {
    it("passes the app's own Jest e2e test (npm run test:e2e), which polls our route", async () => {
      succeeded(await run('npm', ['run', 'test:e2e'], cjsApp));
    }, 120_000);

    it("type-checks `import { messages } from 'nestjs-pistachio/client'` under moduleResolution node", async () => {
      succeeded(await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.node10.json'], cjsApp));
    }, 60_000);
  });

  describe('in a Nest 12 ES module app on Fastify, its adapter created with default options', () => {
    let build: Outcome;

    beforeAll(async () => {
      build = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], esmApp);
    }, 60_000);

    it("type-checks with skipLibCheck false and without the optional peers installed (our .d.ts files don't need them)", () => {
      succeeded(build);
    });

    it('fails with MissingPeerError naming the package when what the app uses needs a peer that is not installed', async () => {
      const started = succeeded(await run(process.execPath, ['dist/without-peers.js'], esmApp));
      expect(started.output).toContain('MissingPeerError: The "redis" option needs the package "ioredis"');
      expect(started.output).toContain('MissingPeerError: The "metrics" option needs the package "prom-client"');
      expect(started.output).toContain('MissingPeerError: PistachioHealthIndicator needs the package "@nestjs/terminus"');
    }, 30_000);

    // tsc emits even when it reports errors: the app runs whatever the type check above says.
    describe('over HTTP', () => {
      let server: AppProcess;
      const poll = (endpoint: string, init?: RequestInit) => fetch(`${server.url}/messages/${endpoint}`, init);
      // The app's own route, which publishes with PistachioService.
      const publish = (endpoint: string, message: string) =>
        fetch(`${server.url}/publish/${endpoint}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ message }),
        });

      beforeAll(async () => {
        server = await startFixtureApp(esmApp, 'dist/main.js');
      }, 30_000);

      afterAll(async () => {
        await server?.stop();
      });

      it("delivers a message published by one of the app's routes: 200, Cache-Control: no-store", async () => {
        const answer = poll('news');
        const published = await publish('news', 'Hello from Fastify');
        expect(published.status).toBe(204);
        const response = await answer;
        expect([response.status, response.headers.get('cache-control'), await response.text()]).toEqual([
          200,
          'no-store',
          'Hello from Fastify',
        ]);
      }, 10_000);

      it('answers 504 with Cache-Control: no-store when nothing arrives in time', async () => {
        const response = await poll('quiet?timeout=1000');
        expect([response.status, response.headers.get('cache-control')]).toEqual([504, 'no-store']);
      }, 10_000);

      it('answers 405 to HEAD, with Allow: GET and Cache-Control: no-store', async () => {
        const response = await poll('news', { method: 'HEAD' });
        expect([response.status, response.headers.get('allow'), response.headers.get('cache-control')]).toEqual([
          405,
          'GET',
          'no-store',
        ]);
      });

      it('answers 400 with Cache-Control: no-store to a name outside the charset', async () => {
        const response = await poll('bad!name');
        expect([response.status, response.headers.get('cache-control')]).toEqual([400, 'no-store']);
      });

      it("serves endpoint names as long as the default router's limit, 100 characters", async () => {
        const name = 'a'.repeat(100);
        const answer = poll(name);
        expect((await publish(name, 'at the limit')).status).toBe(204);
        const response = await answer;
        expect([response.status, await response.text()]).toEqual([200, 'at the limit']);
      }, 10_000);

      it("leaves longer names to Fastify's own 414", async () => {
        expect((await poll('a'.repeat(101))).status).toBe(414);
      });

      it('says once, as it starts, how to serve endpoint names of up to 128 characters', () => {
        expect(server.output().match(/new FastifyAdapter\(\{ routerOptions: \{ maxParamLength: 128 \} \}\)/g)).toHaveLength(1);
      });
    });
  });
});
