import type { Redis } from 'ioredis';
import { BenchApp, startBenchApp } from '../bench-app.process.js';
import { endpointsListenedTo, memoryOf } from '../waiting-polls.js';
import { NchanInstallation, NchanServer } from './nchan.js';
import { cpuMicrosOf, rssOf } from './proc.js';

export type PeerServer = 'nchan' | 'ours';
export type PeerStore = 'memory' | 'redis';
export type PeerAdapter = 'express' | 'fastify';

/** Which server a row measures: Nchan (its workers) or the bench app (its processes, on one adapter). */
export interface PeerSetup {
  server: PeerServer;
  store: PeerStore;
  /** Ours only. */
  adapter?: PeerAdapter;
  /** nginx workers, or app processes (two of them share the Redis broker). */
  processes: number;
  /** Ours only: acknowledged delivery (each poll acknowledges the previous answer's receipt), at most once if unset. */
  delivery?: 'at-least-once';
  /** Ours only: the polls on the direct route (`directRoute`), ahead of the framework. */
  direct?: boolean;
}

/** A server under measurement, as the peer scenario's client drives it: the same client for every one. */
export interface PeerTarget extends PeerSetup {
  /** Connection i goes to ports[i % ports.length] (one port per app process; nginx's workers share one). */
  ports: number[];
  /** Where a subscriber of `channel` long-polls. */
  subscribePath(channel: string): string;
  /** Where the publisher posts a message to `channel` (its body is the message). */
  publishPath(channel: string): string;
  /** Nchan's long-poll protocol: each poll sends back the previous answer's `Last-Modified` and `Etag`. */
  resumesWithHeaders: boolean;
  /** Each poll acknowledges the previous answer's `Pistachio-Receipt` (`?ack=`). */
  acknowledges: boolean;
  /** The server's CPU time so far (µs), all its processes. */
  cpuMicros(): Promise<number>;
  /** The server's resident memory now (bytes), after a GC where it has one. */
  rssBytes(): Promise<number>;
  /** Subscribers waiting in the server now. */
  waiting(): Promise<number>;
  /** Whether `count` subscribers wait and a message would reach them at once (ours on Redis: its blocking reads armed). */
  ready(count: number): Promise<boolean>;
  /** What went wrong on the server's side so far (Nchan's error log). */
  errors(): string[];
  stop(): Promise<void>;
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** Nchan with the memory or the Redis store, on `workers` nginx workers. */
export async function nchanTarget(
  installation: NchanInstallation,
  store: PeerStore,
  workers: number,
  redisUrl: string,
  bufferLength: number,
): Promise<PeerTarget & { config: string; version: string }> {
  const server = await NchanServer.start(installation, {
    workers,
    redisUrl: store === 'redis' ? redisUrl : undefined,
    bufferLength,
  });
  return {
    server: 'nchan',
    store,
    processes: workers,
    ports: [server.port],
    config: server.config,
    version: server.version,
    subscribePath: (channel) => `/sub/${channel}`,
    publishPath: (channel) => `/pub?id=${channel}`,
    resumesWithHeaders: true,
    acknowledges: false,
    cpuMicros: async () => cpuMicrosOf(server.workers()),
    rssBytes: async () => rssOf(server.workers()),
    waiting: () => server.subscribers(),
    ready: async (count) => (await server.subscribers()) >= count,
    errors: () => server.errors(),
    stop: () => server.stop(),
  };
}

/**
 * The bench app (`bench/app.ts`) in `processes` processes, run with `nodeOptions`: its `POST /pub` publishes, its
 * queues at `/messages`.
 */
export async function oursTarget(setup: PeerSetup, redisUrl: string, redis: Redis, nodeOptions: string[] = []): Promise<PeerTarget> {
  const { store, adapter, processes, delivery, direct } = setup;
  // The bench's own arrivals middleware off: the module as an app runs it.
  const env = {
    BROKER: store,
    ADAPTER: adapter!,
    ARRIVALS: 'off',
    ...(store === 'redis' ? { REDIS_URL: redisUrl } : {}),
    ...(delivery ? { DELIVERY: delivery } : {}),
    ...(direct ? { DIRECT: 'on' } : {}),
  };
  const apps: BenchApp[] = [];
  for (let i = 0; i < processes; i++) {
    apps.push(await startBenchApp(env, nodeOptions));
  }
  const waiting = async () =>
    sum(await Promise.all(apps.map((app) => app.call<number>('GET', '/bench/waiting?design=queues'))));
  return {
    ...setup,
    server: 'ours',
    ports: apps.map((app) => Number(new URL(app.url).port)),
    subscribePath: (channel) => `/messages/${channel}`,
    publishPath: (channel) => `/pub?id=${channel}`,
    resumesWithHeaders: false,
    acknowledges: delivery === 'at-least-once',
    cpuMicros: async () => sum(await Promise.all(apps.map((app) => app.call<number>('GET', '/bench/cpu')))),
    rssBytes: async () => sum(await Promise.all(apps.map(async (app) => (await memoryOf(app)).rss))),
    waiting,
    // On Redis, each waited endpoint's wake channel subscribed.
    ready: async (count) => (await waiting()) >= count && (store === 'memory' || (await endpointsListenedTo(redis, 'bench')) >= count),
    errors: () => [],
    stop: async () => void (await Promise.all(apps.map((app) => app.stop()))),
  };
}
