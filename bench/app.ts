import 'reflect-metadata';
import {
  Controller,
  Get,
  MiddlewareConsumer,
  Module,
  NestModule,
  Param,
  Post,
  Query,
  Res,
  ServiceUnavailableException,
  GatewayTimeoutException,
  Body,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import { DeliveryMode, InjectPistachio, PistachioModule, PistachioService } from '../lib/index.js';
import { rawResponse } from '../lib/http/departure-signal.js';
import { AddressInfo } from 'node:net';
import type { Design } from './waiting-polls.js';
import { atRate, now } from './at-rate.js';

/**
 * The app under measurement, run in a process of its own. BROKER=memory|redis (with REDIS_URL)|cluster (with
 * REDIS_CLUSTER_NODES), ADAPTER, DELIVERY, METRICS. Besides
 * the module's route (queues, `/messages`) it has a broadcast registration (channels, `/channels`, namespace `benchcast`), a
 * constant route (the ceiling), the naive one-connection-per-poll route, and controls for the driver.
 */
const redisUrl = process.env.BROKER === 'redis' ? process.env.REDIS_URL : undefined;
/** BROKER=cluster: the Redis Cluster of REDIS_CLUSTER_NODES (`host:port,…`). */
const redis = process.env.BROKER === 'cluster' ? { cluster: { nodes: process.env.REDIS_CLUSTER_NODES!.split(',') } } : redisUrl;
/** DELIVERY=at-most-once (default) or at-least-once. */
const delivery: DeliveryMode = process.env.DELIVERY === 'at-least-once' ? 'at-least-once' : 'at-most-once';
/** METRICS=on turns the module's Prometheus metrics on (prom-client's default registry), to measure what they cost. */
const metrics = process.env.METRICS === 'on';
/** ARRIVALS=off leaves the arrivals middleware out: the intake measures the module's route alone, beside bare apps. */
const countArrivals = process.env.ARRIVALS !== 'off';
/** BACKLOG: the listen backlog (Node's default, 511, unless given), as an app raises it for bursts of new connections. */
const backlog = process.env.BACKLOG === undefined ? undefined : Number(process.env.BACKLOG);
/** ADAPTER=express (default) or fastify. */
const onFastify = process.env.ADAPTER === 'fastify';
/** `DIRECT=on`: the queues' polls on the direct route (`directRoute`), ahead of the framework. */
const directRoute = process.env.DIRECT === 'on';
const POLL_TIMEOUT = 120_000;


/**
 * The polls that reached a poll route, module or naive, so that the driver knows when all of them wait. Counted by a
 * middleware of those routes alone: a global interceptor would add its rxjs work to every request, publishes included.
 */
let arrivals = 0;
const POLL_ROUTES = ['messages/*path', 'channels/*path', 'naive/*path', 'bare/*path'];
const bareWaiting = new Set<() => void>();


@Controller()
class BenchController {
  constructor(
    private readonly pistachio: PistachioService,
    @InjectPistachio('channels') private readonly channels: PistachioService,
  ) {}

  private registration(design: Design): PistachioService {
    return design === 'channel' ? this.channels : this.pistachio;
  }

  @Get('ceiling')
  ceiling(): string {
    return 'ok';
  }

  /** Publishes the body (text/plain) to the endpoint `id`: the peer scenario's publisher, as Nchan's `POST /pub?id=`. */
  @Post('pub')
  async pub(@Query('id') id: string, @Body() message: string): Promise<void> {
    await this.pistachio.publish(id, message);
  }

  /** Publishes `count` messages to each of e0 … e(endpoints-1). */
  @Post('bench/fill')
  async fill(@Query('endpoints') endpoints: string, @Query('count') count: string): Promise<void> {
    for (let n = 0; n < Number(count); n++) {
      await Promise.all(Array.from({ length: Number(endpoints) }, (_, i) => this.pistachio.publish(`e${i}`, 'm')));
    }
  }

  /** The shortest queue of e0 … e(endpoints-1): above 0 after a throughput run, the run had a backlog throughout. */
  @Get('bench/backlog')
  async backlog(@Query('endpoints') endpoints: string): Promise<number> {
    const lengths = Array.from({ length: Number(endpoints) }, (_, i) => this.pistachio.length(`e${i}`));
    return Math.min(...(await Promise.all(lengths)));
  }

  /** Publishes a timestamp to each endpoint given, at once. */
  @Post('bench/publish')
  async publish(@Body() endpoints: string[]): Promise<void> {
    await Promise.all(endpoints.map((endpoint) => this.pistachio.publish(endpoint, String(now()))));
  }

  /** Publishes timestamps round-robin over e0 … e(endpoints-1) at `rate` per second for `seconds`. */
  @Post('bench/rate')
  async rate(@Query('rate') rate: string, @Query('endpoints') endpoints: string, @Query('seconds') seconds: string) {
    return atRate(Number(rate), Number(seconds), (k) => void this.pistachio.publish(`e${k % Number(endpoints)}`, String(now())));
  }

  /**
   * Wakes `count` clients at once: one publish to the channel `fan`, or one to each of the queues e0 … e(count-1), every
   * message the same timestamp (taken before the first publish).
   */
  @Post('bench/fanout')
  async fanout(@Query('design') design: Design, @Query('count') count: string): Promise<void> {
    const publishedAt = String(now());
    const endpoints = design === 'channel' ? ['fan'] : Array.from({ length: Number(count) }, (_, i) => `e${i}`);
    await Promise.all(endpoints.map((endpoint) => this.registration(design).publish(endpoint, publishedAt)));
  }

  /**
   * Publishes `<timestamp> <sequence>` round-robin over c0 … c(endpoints-1) (channels) or e0 … e(endpoints-1) (queues)
   * at `rate` per second for `seconds`; the sequence counts each endpoint's messages from 0, for the driver to find gaps.
   */
  @Post('bench/steady')
  async steady(
    @Query('design') design: Design,
    @Query('endpoints') endpoints: string,
    @Query('rate') rate: string,
    @Query('seconds') seconds: string,
  ) {
    const count = Number(endpoints);
    const prefix = design === 'channel' ? 'c' : 'e';
    const registration = this.registration(design);
    return atRate(Number(rate), Number(seconds), (k) => {
      void registration.publish(`${prefix}${k % count}`, `${now()} ${Math.floor(k / count)}`);
    });
  }

  /** Receives waiting in the registration: the polls that have passed the route's checks and wait for a message. */
  @Get('bench/waiting')
  waiting(@Query('design') design: Design): number {
    return this.registration(design).stats().pollsWaiting;
  }

  /** The app's CPU time so far (user and system), in microseconds. */
  @Get('bench/cpu')
  cpu(): number {
    const { user, system } = process.cpuUsage();
    return user + system;
  }

  @Get('bench/arrivals')
  arrivals(): number {
    return arrivals;
  }

  @Get('bench/memory')
  memory(): { heapUsed: number; rss: number } {
    global.gc?.();
    const { heapUsed, rss } = process.memoryUsage();
    return { heapUsed, rss };
  }

  /** A request that waits for nothing in particular: what one waiting request costs Node, Express and Nest alone. */
  @Get('bare/:endpoint')
  async bare(@Res({ passthrough: true }) response: object): Promise<string> {
    await new Promise<void>((resolve) => {
      bareWaiting.add(resolve);
      rawResponse(response).on('close', resolve);
    });
    return '';
  }

  beforeApplicationShutdown(): void {
    bareWaiting.forEach((resolve) => resolve());
  }

  /** The original design: a Redis connection of its own for each waiting poll, blocked in BLPOP. */
  @Get('naive/:endpoint')
  async naive(@Param('endpoint') endpoint: string, @Res({ passthrough: true }) response: object) {
    const connection = new Redis(redisUrl!, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    connection.on('error', () => undefined);
    rawResponse(response).on('close', () => connection.disconnect());
    try {
      const popped = await connection.blpop(`bench:${endpoint}`, POLL_TIMEOUT / 1_000);
      if (!popped) throw new GatewayTimeoutException();
      return popped[1];
    } catch (error) {
      throw error instanceof GatewayTimeoutException ? error : new ServiceUnavailableException(String(error));
    } finally {
      connection.disconnect();
    }
  }
}

@Module({
  imports: [
    PistachioModule.forRoot({
      namespace: 'bench',
      path: '/messages',
      timeout: POLL_TIMEOUT,
      redis,
      delivery,
      directRoute,
      metrics,
      maxQueueLength: 1_000_000,
      maxWaiters: 1_000_000,
      maxWaitersPerEndpoint: 1_000_000,
    }),
    // Every subscriber of a channel waits on the same endpoint: maxWaitersPerEndpoint follows maxWaiters.
    PistachioModule.forRoot({
      name: 'channels',
      namespace: 'benchcast',
      path: '/channels',
      mode: 'broadcast',
      timeout: POLL_TIMEOUT,
      redis,
      maxWaiters: 1_000_000,
    }),
  ],
  controllers: [BenchController],
})
class BenchModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    if (!countArrivals) {
      return;
    }
    consumer
      .apply((_request: unknown, _response: unknown, next: () => void) => {
        arrivals++;
        next();
      })
      .forRoutes(...POLL_ROUTES);
  }
}

const options = { logger: ['error' as const] };
const app = onFastify
  ? await NestFactory.create(BenchModule, new FastifyAdapter({ routerOptions: { maxParamLength: 1024 } }), options)
  : await NestFactory.create(BenchModule, options);
if (!onFastify) {
  // The peer scenario publishes text/plain bodies, as to Nchan; Fastify parses them as strings out of the box.
  (app as NestExpressApplication).useBodyParser('text');
}
app.enableShutdownHooks();
if (backlog === undefined) {
  await app.listen(0, '127.0.0.1');
} else if (onFastify) {
  await (app as NestFastifyApplication).listen({ port: 0, host: '127.0.0.1', backlog });
} else {
  // Nest's listen() on Express takes no backlog: the Node server does, once the app is initialised (as README says).
  await app.init();
  await new Promise<void>((resolve) => app.getHttpServer().listen({ port: 0, host: '127.0.0.1', backlog }, resolve));
}
console.log(`listening ${(app.getHttpServer().address() as AddressInfo).port}`);
