import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { startRedisServer } from '../test/support/redis/global-setup.js';
import { BenchApp, startBenchApp } from './bench-app.process.js';
import { Percentiles } from './latency-histogram.js';
import { renderChart, renderTable } from './report.js';
import { ceiling, throughput } from './scenarios/http-load.js';
import { IdleScale, idleScale } from './scenarios/idle-scale.js';
import { latency } from './scenarios/latency.js';
import { producerConsumerPair, redisBenchmark } from './scenarios/redis-ceiling.js';

/** `npm run bench [-- --quick] [-- --out DIR]`: every scenario, side by side, into DIR (default bench/results). */
const quick = process.argv.includes('--quick');
const outIndex = process.argv.indexOf('--out');
const out = outIndex > 0 ? process.argv[outIndex + 1] : new URL('../../results/', import.meta.url).pathname;
const plan = quick
  ? { rounds: 1, seconds: 1, connections: [64], idle: [200], latencySeconds: 1, redisRequests: 10_000 }
  : { rounds: 3, seconds: 5, connections: [64, 256], idle: [1_000, 5_000, 10_000], latencySeconds: 10, redisRequests: 200_000 };

export interface ThroughputResult {
  connections: number;
  ceiling: number;
  memory: number;
  redis: number;
  naive: number;
}

/** The same on Fastify: its own ceiling and both brokers (the naive design is measured on Express only). */
export type FastifyThroughputResult = Omit<ThroughputResult, 'naive'>;

export interface Results {
  date: string;
  machine: { cpus: string; cores: number; memoryGiB: number; node: string; redis: string };
  quick: boolean;
  throughput: ThroughputResult[];
  fastify: FastifyThroughputResult[];
  latency: { rate: number; endpoints: number; memory: Percentiles; redis: Percentiles };
  idle: { module: IdleScale[]; naive: IdleScale[]; bare: IdleScale[] };
  redisCeiling: { rpush: number; lpop: number; producerConsumerPair: number };
}

/** The record of a design that broke under the load: where, and why, with no figures. */
const broken = (waiting: number, error: Error): IdleScale =>
  ({ waiting, broke: `${error.message}${error.cause ? `: ${(error.cause as Error).message}` : ''}` }) as IdleScale;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const log = (line: string) => console.log(`[bench] ${line}`);

async function withApp<T>(env: Record<string, string>, use: (app: BenchApp) => Promise<T>): Promise<T> {
  const app = await startBenchApp(env);
  try {
    return await use(app);
  } finally {
    await app.stop();
  }
}

const redisServer = await startRedisServer();
const redis = new Redis(redisServer.url);
try {
  const memoryEnv = { BROKER: 'memory' };
  const redisEnv = { BROKER: 'redis', REDIS_URL: redisServer.url };

  /** One round on one adapter: its ceiling and both brokers, and on Express the naive design too. */
  async function throughputRound(adapter: 'express' | 'fastify', connections: number): Promise<FastifyThroughputResult & { naive?: number }> {
    const env = { ADAPTER: adapter };
    const measured = await withApp({ ...memoryEnv, ...env }, async (app) => {
      await ceiling(app, connections, 1); // warm-up
      const ceilingRate = await ceiling(app, connections, plan.seconds);
      return { connections, ceiling: ceilingRate, memory: await throughput(app, connections, plan.seconds, ceilingRate) };
    });
    const onRedis = await withApp({ ...redisEnv, ...env }, (app) => throughput(app, connections, plan.seconds, measured.ceiling));
    await redis.flushall();
    if (adapter === 'fastify') {
      return { ...measured, redis: onRedis };
    }
    const naive = await withApp(redisEnv, (app) => throughput(app, connections, plan.seconds, measured.ceiling, 'naive'));
    await redis.flushall();
    return { ...measured, redis: onRedis, naive };
  }
  const medians = <T extends object>(rounds: T[]): T =>
    Object.fromEntries(Object.keys(rounds[0]).map((key) => [key, median(rounds.map((round) => round[key as keyof T] as number))])) as T;

  const throughputResults: ThroughputResult[] = [];
  const fastifyResults: FastifyThroughputResult[] = [];
  for (const connections of plan.connections) {
    const express: ThroughputResult[] = [];
    const fastify: FastifyThroughputResult[] = [];
    for (let round = 0; round < plan.rounds; round++) {
      express.push((await throughputRound('express', connections)) as ThroughputResult);
      fastify.push(await throughputRound('fastify', connections));
      const [e, f] = [express[round], fastify[round]];
      log(
        `C=${connections} round ${round + 1}: Express ceiling ${e.ceiling.toFixed(0)}/s, memory ${e.memory.toFixed(0)}/s, ` +
          `redis ${e.redis.toFixed(0)}/s, naive ${e.naive.toFixed(0)}/s; Fastify ceiling ${f.ceiling.toFixed(0)}/s, ` +
          `memory ${f.memory.toFixed(0)}/s, redis ${f.redis.toFixed(0)}/s`,
      );
    }
    throughputResults.push(medians(express));
    fastifyResults.push(medians(fastify));
  }

  const endpoints = 64;
  const rate = Math.max(100, Math.round(throughputResults[0].redis * 0.1));
  const latencyMemory = await withApp(memoryEnv, (app) => latency(app, endpoints, rate, plan.latencySeconds));
  const latencyRedis = await withApp(redisEnv, (app) => latency(app, endpoints, rate, plan.latencySeconds));
  await redis.flushall();
  log(`latency at ${rate}/s: memory p50 ${latencyMemory.p50} ms p99 ${latencyMemory.p99} ms; redis p50 ${latencyRedis.p50} ms p99 ${latencyRedis.p99} ms`);

  const idle: Results['idle'] = { module: [], naive: [], bare: [] };
  for (const waiting of plan.idle) {
    for (const route of ['messages', 'naive', 'bare'] as const) {
      const result = await withApp(redisEnv, (app) => idleScale(app, redis, route, waiting)).catch(
        (error: Error): IdleScale => broken(waiting, error),
      );
      await redis.flushall();
      idle[route === 'messages' ? 'module' : route].push(result);
      log(`idle ${route} ${waiting}: ${JSON.stringify(result)}`);
    }
  }

  const benchmark = redisBenchmark(Number(new URL(redisServer.url).port), plan.redisRequests);
  const pair = await producerConsumerPair(redisServer.url, plan.seconds);
  log(`redis: RPUSH ${benchmark.rpush}/s, LPOP ${benchmark.lpop}/s, RPUSH→BLPOP pair ${pair.toFixed(0)}/s`);

  const results: Results = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      redis: execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).split(' ')[2].replace('v=', ''),
    },
    quick,
    throughput: throughputResults,
    fastify: fastifyResults,
    latency: { rate, endpoints, memory: latencyMemory, redis: latencyRedis },
    idle,
    redisCeiling: { ...benchmark, producerConsumerPair: pair },
  };
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${out}/results.md`, renderTable(results));
  writeFileSync(`${out}/chart.svg`, renderChart(results));
  log(`results written to ${out}`);
} finally {
  redis.disconnect();
  await redisServer.stop();
}
