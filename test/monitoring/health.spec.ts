import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Module } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { DeliveryMode, InjectPistachioHealthIndicator, PistachioHealthIndicator, PistachioModule } from '../../lib/index.js';
import { freshNamespace } from '../support/brokers.js';
import { request } from '../support/http-client.js';
import { LogCapture } from '../support/log-capture.js';
import { RedisServer } from '../support/redis/global-setup.js';
import { startApp, TestApp, TestOptions, pistachioModule } from '../support/start-app.js';
import { until } from '../support/until.js';

/** A health endpoint as an app writes it, with the unnamed registration's indicator. */
@Controller()
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly pistachio: PistachioHealthIndicator,
  ) {}

  @Get('health')
  @HealthCheck()
  check() {
    return this.health.check([() => this.pistachio.isHealthy('pistachio')]);
  }
}

interface HealthAnswer {
  status: number;
  body: unknown;
}

async function healthOf({ url }: TestApp): Promise<HealthAnswer> {
  const answer = await request(`${url}/health`);
  return { status: answer.status, body: JSON.parse(answer.body) };
}

type Details = { status: string; [detail: string]: unknown };
const up = (broker: string): Details => ({ status: 'up', broker });
const down = (server: RedisServer): Details => ({
  status: 'down',
  reason: expect.stringContaining(`Redis at 127.0.0.1:${server.port}`),
});

/** Terminus's body for a check whose indicators gave these details: those up under `info`, those down under `error`. */
function body(details: Record<string, Details>): object {
  const having = (status: string) => Object.fromEntries(Object.entries(details).filter(([, detail]) => detail.status === status));
  const error = having('down');
  return { status: Object.keys(error).length > 0 ? 'error' : 'ok', info: having('up'), error, details };
}

describe('PistachioHealthIndicator over HTTP', () => {
  let app: TestApp | undefined;
  afterEach(() => app?.app.close());

  const start = async (options: Partial<TestOptions>, logger?: LogCapture) => {
    @Module({
      imports: [TerminusModule, pistachioModule({ namespace: freshNamespace(), ...options })],
      controllers: [HealthController],
    })
    class AppModule {}
    app = await startApp([AppModule], { logger });
  };
  const health = () => healthOf(app!);

  it.each<DeliveryMode>(['at-most-once', 'at-least-once'])('is up on the memory broker (%s)', async (delivery) => {
    await start({ delivery });

    expect(await health()).toEqual({ status: 200, body: body({ pistachio: up('memory') }) });
  });

  describe.each<DeliveryMode>(['at-most-once', 'at-least-once'])('on Redis (%s)', (delivery) => {
    let server: RedisServer;
    beforeAll(async () => {
      server = await RedisServer.start();
    });
    afterAll(() => server.stop());

    it('answers 200 with Redis up, 503 with the reason once it is stopped, and 200 again once it is back', async () => {
      // Keeps the reconnection warnings and Terminus's report of the failed check out of the test output.
      await start({ redis: server.url, delivery }, new LogCapture());
      expect(await health()).toEqual({ status: 200, body: body({ pistachio: up('redis') }) });

      await server.kill();
      let answer: HealthAnswer | undefined;
      await until(async () => (answer = await health()).status === 503, 10_000);
      expect(answer!.body).toEqual(body({ pistachio: down(server) }));

      await server.restart();
      await until(async () => (answer = await health()).status === 200, 10_000);
      expect(answer!.body).toEqual(body({ pistachio: up('redis') }));
    }, 30_000);
  });

  it('is injectable wherever PistachioService is, with isGlobal', async () => {
    @Module({ imports: [TerminusModule], controllers: [HealthController] })
    class HealthModule {}
    app = await startApp([pistachioModule({ namespace: freshNamespace(), isGlobal: true }), HealthModule]);

    expect(await health()).toEqual({ status: 200, body: body({ pistachio: up('memory') }) });
  });
});

describe('PistachioHealthIndicator of a named registration', () => {
  let server: RedisServer;
  let app: TestApp | undefined;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await app?.app.close();
    await server.stop();
  });

  it("reports that registration's broker, injected by its name", async () => {
    @Controller()
    class HealthOfBothController {
      constructor(
        private readonly health: HealthCheckService,
        private readonly pistachio: PistachioHealthIndicator,
        @InjectPistachioHealthIndicator('jobs') private readonly jobs: PistachioHealthIndicator,
      ) {}

      @Get('health')
      @HealthCheck()
      check() {
        return this.health.check([() => this.pistachio.isHealthy('pistachio'), () => this.jobs.isHealthy('jobs')]);
      }
    }
    @Module({
      imports: [
        TerminusModule,
        pistachioModule({ namespace: freshNamespace() }),
        pistachioModule({ name: 'jobs', namespace: freshNamespace(), path: '/jobs', redis: server.url }),
      ],
      controllers: [HealthOfBothController],
    })
    class AppModule {}
    app = await startApp([AppModule], { logger: new LogCapture() });
    const health = () => healthOf(app!);
    expect(await health()).toEqual({ status: 200, body: body({ pistachio: up('memory'), jobs: up('redis') }) });

    await server.kill();
    let answer: HealthAnswer | undefined;
    await until(async () => (answer = await health()).status === 503, 10_000);
    expect(answer!.body).toEqual(body({ pistachio: up('memory'), jobs: down(server) }));

    // Back before the app closes: ioredis would hold a closing connection to a dead server for seconds.
    await server.restart();
    await until(async () => (await health()).status === 200, 10_000);
  }, 30_000);
});
