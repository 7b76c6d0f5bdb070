import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { DeliveryMode } from '../lib/index.js';
import { RedisCluster, startRedisServer } from '../test/support/redis/global-setup.js';
import { BenchApp, startBenchApp } from './bench-app.process.js';
import { renderCore } from './core-report.js';
import { Percentiles } from './latency-histogram.js';
import { renderPeer } from './peer/report.js';
import { renderProfile } from './profile-report.js';
import { renderBroadcast, renderChart, renderTable, runLine } from './report.js';
import { Fanout, fanout } from './scenarios/broadcast-fanout.js';
import { Steady, steady, SteadyPlan } from './scenarios/broadcast-steady.js';
import { ceiling, throughput } from './scenarios/http-load.js';
import { IdleScale, idleScale } from './scenarios/idle-scale.js';
import { latency } from './scenarios/latency.js';
import { cpuProfile, ProfilePlan, ProfileResult } from './scenarios/cpu-profile.js';
import { CommandCost, commandCost, MasterSpread, masterSpread } from './scenarios/delivery-core.js';
import { PeerOutcome, peerScenario, PeerPlan } from './scenarios/nchan-peer.js';
import { PageCost, pageCost } from './scenarios/multiplexed.js';
import { renderPages } from './pages-report.js';
import { median } from './median.js';
import { renderQueueFeatures } from './queue-features-report.js';
import { DueAtOnce, dueAtOnce, PublishCost, publishCosts, TakeCost, takeCosts } from './scenarios/queue-features.js';
import { producerConsumerPair, redisBenchmark } from './scenarios/redis-ceiling.js';
import { ensureNchan, NchanServer } from './peer/nchan.js';
import { nchanStreaming, oursStreaming, StreamFanout, streamFanout, StreamSteady, streamSteady } from './scenarios/streams.js';
import { renderStreams } from './streams-report.js';
import { HOLDING_APP, holdingTarget, Intake, intake, moduleTarget } from './scenarios/intake.js';
import { renderIntake } from './intake-report.js';

/**
 * `npm run bench [-- --quick] [-- --out DIR]`: every scenario, side by side, into DIR (default bench/results).
 * `-- --only broadcast`: the broadcast scenarios alone, into DIR/broadcast.json and DIR/broadcast.md.
 * `-- --only peer`: Nchan next to ours alone (Nchan installed with apt-get when missing), into DIR/peer.json and
 * DIR/peer.md; the full run has it too, never the quick one (`--only peer --quick` takes its small plan).
 * `-- --only profile`: where the app's CPU goes at saturation and in a wake-up of many waiting polls (Fastify, Redis), into DIR/profile.json and
 * DIR/profile.md, and the profiles themselves as DIR/profile-N.cpuprofile (not kept in git); never in the full run.
 * `-- --only core [-- --baseline CHECKOUT]`: the Redis delivery core on one Redis and on a Redis Cluster of the bench's
 * own (commands per message, wake-ups of many waiting polls, single polls on Fastify, the spread over masters), into
 * DIR/core.json and DIR/core.md; with a baseline (another checkout, its bench built there: `npm run bench -- --only
 * none`), its single polls side by side with this build's, round after round. Never in the full run.
 * `-- --only pages`: a page with several subscriptions, as a poll per subscription and as one multiplexed poll (Redis,
 * Express): connections, requests and app CPU per delivered message, into DIR/pages.json and DIR/pages.md.
 * `-- --only queue`: what the queue features cost, in code (no HTTP), on memory and Redis: a publish with each option
 * beside a plain one, a receive of messages with a ttl beside one without, and many delayed messages coming due at
 * once, into DIR/queue.json and DIR/queue.md.
 * `-- --only streams`: server-sent event streams of one channel beside long polls of it (the time until the last
 * client has a message, memory per client), and the broadcast steady run on streams beside polls, ours on memory and
 * Redis and Nchan's EventSource (never in the quick run), into DIR/streams.json and DIR/streams.md.
 * `-- --only intake`: how fast a server takes in many polls on distinct endpoints opened a group at a time (each taken in
 * once its request is written), until it holds them all, its CPU and the listen-queue overflows: a plain `node:http`
 * server and a bare Nest app on each adapter that hold every request, beside the module on both adapters and both
 * brokers, round after round, into DIR/intake.json and DIR/intake.md; never in the full run.
 */
const quick = process.argv.includes('--quick');
const option = (name: string) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const out = option('--out') ?? new URL('../../results/', import.meta.url).pathname;
const only = option('--only');
const parts = ['broadcast', 'peer', 'profile', 'core', 'pages', 'queue', 'streams', 'intake', 'none'];
if (only !== undefined && !parts.includes(only)) {
  throw new Error(`--only takes ${parts.map((part) => `"${part}"`).join(', ')} (the parts that run alone), not ${JSON.stringify(only)}`);
}
const baseline = option('--baseline');
const plan = quick
  ? {
      rounds: 1,
      seconds: 1,
      connections: [64],
      batchConnections: [64],
      idle: [200],
      latencySeconds: 1,
      redisRequests: 10_000,
      // A ceiling taken in one second on a loaded machine can come out far below what the run then delivers.
      fillMargin: 4,
      broadcast: {
        fanout: [300],
        steady: { channels: 50, subscribersPerChannel: 4, rate: 50, warmup: 1, seconds: 2, idle: 1, grace: 5_000 },
      },
      // Only with --only peer: the quick run does not need Nchan.
      peer: {
        subscribers: [16],
        backlog: 8,
        publishers: 8,
        warmup: 0.5,
        seconds: 1,
        rate: 200,
        rateSubscribers: 16,
        rateWarmup: 0.5,
        rateSeconds: 1,
        waiting: 100,
        woken: 50,
        bufferLength: 64,
        grace: 5_000,
        multiProcess: ['fastify'],
      } satisfies PeerPlan,
      profiles: [
        { store: 'redis', adapter: 'fastify', processes: 1, subscribers: 16, publishers: 8, load: { saturation: { backlog: 8, seconds: 2 } } },
        { store: 'redis', adapter: 'fastify', processes: 1, subscribers: 100, publishers: 8, load: { wakeUp: { woken: 50, rate: 200 } } },
      ] satisfies ProfilePlan[],
      core: { commands: { endpoints: 16, rate: 200, seconds: 1 }, waiting: 200, polls: [64], rounds: 1, spread: { endpoints: 100, rate: 200, seconds: 1 } },
      pages: { pages: 16, subscriptions: [4, 16], rate: 200, seconds: 1, rounds: 1 },
      queue: {
        publish: { publishes: 1_000, concurrency: 16, rounds: 1 },
        take: { messages: 500, rounds: 1 },
        due: { messages: 2_000, endpoints: 10, consumers: 8 },
      },
      // The steady run is the broadcast one's.
      streams: { fanout: [200] },
      // The direct route's rows on memory only: the smoke checks that they run.
      intake: { count: 500, group: 250, rounds: 1, direct: ['memory'] as Broker[] },
    }
  : {
      rounds: 3,
      seconds: 5,
      connections: [64, 256],
      // Batches at the first count only: their fills (the ceiling × BATCH) make them the dearest figures to take.
      batchConnections: [64],
      idle: [1_000, 5_000, 10_000],
      latencySeconds: 10,
      redisRequests: 200_000,
      fillMargin: 1,
      broadcast: {
        fanout: [1_000, 10_000],
        // 1,500 deliveries/s: about what one app process answers here at ~450 µs of CPU per poll, with some room left.
        steady: { channels: 1_000, subscribersPerChannel: 10, rate: 150, warmup: 2, seconds: 10, idle: 3, grace: 15_000 },
      },
      peer: {
        subscribers: [64, 256],
        // Fewer publisher connections or a shallower backlog left ours below what it delivers (16 and 8: 0.5-0.8×).
        backlog: 32,
        publishers: 64,
        warmup: 1,
        seconds: 5,
        rate: 1_000,
        rateSubscribers: 64,
        rateWarmup: 1,
        rateSeconds: 10,
        waiting: 10_000,
        woken: 1_000,
        bufferLength: 64,
        grace: 10_000,
        multiProcess: ['express', 'fastify'],
      } satisfies PeerPlan,
      // The peer scenario's saturation at 256 subscribers, for longer, and its wake-up of 1,000 of 10,000.
      // Issue 25's rows besides: the memory broker at the same saturation, and Express at 64 subscribers on both brokers
      // and on the direct route.
      profiles: [
        { store: 'redis', adapter: 'fastify', processes: 1, subscribers: 256, publishers: 64, load: { saturation: { backlog: 32, seconds: 15 } } },
        { store: 'redis', adapter: 'fastify', processes: 1, subscribers: 10_000, publishers: 64, load: { wakeUp: { woken: 1_000, rate: 1_000 } } },
        { store: 'memory', adapter: 'fastify', processes: 1, subscribers: 256, publishers: 64, load: { saturation: { backlog: 32, seconds: 15 } } },
        { store: 'redis', adapter: 'express', processes: 1, subscribers: 64, publishers: 64, load: { saturation: { backlog: 32, seconds: 15 } } },
        { store: 'memory', adapter: 'express', processes: 1, subscribers: 64, publishers: 64, load: { saturation: { backlog: 32, seconds: 15 } } },
        { store: 'redis', adapter: 'express', processes: 1, direct: true, subscribers: 64, publishers: 64, load: { saturation: { backlog: 32, seconds: 15 } } },
      ] satisfies ProfilePlan[],
      // A steady 1,000/s for the commands, as the peer scenario's latency row; 10,000 waiting as its wake-up row.
      core: {
        commands: { endpoints: 64, rate: 1_000, seconds: 5 },
        waiting: 10_000,
        polls: [64, 256],
        rounds: 3,
        spread: { endpoints: 1_000, rate: 1_000, seconds: 5 },
      },
      // 64 pages of 4 subscriptions (256 queues), and of 16 (1,024), fed at 1,000 messages a second.
      pages: { pages: 64, subscriptions: [4, 16], rate: 1_000, seconds: 5, rounds: 3 },
      // 100,000 delayed messages due at once, over 10 queues, for 16 consumers.
      queue: {
        publish: { publishes: 20_000, concurrency: 64, rounds: 3 },
        take: { messages: 10_000, rounds: 3 },
        due: { messages: 100_000, endpoints: 10, consumers: 16 },
      },
      streams: { fanout: [10_000] },
      // 10,000 polls, 250 at a time: the issue's intake, its targets read as ratios to the bare Nest app.
      intake: { count: 10_000, group: 250, rounds: 3, direct: ['memory', 'redis'] as Broker[] },
    };
/** The intake's rows with a raised listen backlog: Linux's default `net.core.somaxconn`, which caps it. */
const RAISED_BACKLOG = 4_096;
/** The rate a run's queues are filled for: the measured rate, with the plan's margin on top. */
const expected = (rate: number) => rate * plan.fillMargin;
/** The batch size of the batch polls (`?max=`). */
const BATCH = 10;

export interface ThroughputResult {
  connections: number;
  ceiling: number;
  memory: number;
  redis: number;
  naive: number;
}

/** The same on Fastify: its own ceiling and both brokers (the naive design is measured on Express only). */
export type FastifyThroughputResult = Omit<ThroughputResult, 'naive'>;

/** Delivered messages/s of one broker in one delivery mode: single polls, and batch polls where the plan has them. */
export interface PollRates {
  single: number;
  batch?: number;
}

/** The module's route on Express at one connection count, next to the ceiling of the same rounds. */
export interface ModesResult {
  connections: number;
  ceiling: number;
  memory: { atMostOnce: PollRates; atLeastOnce: PollRates };
  redis: { atMostOnce: PollRates; atLeastOnce: PollRates };
}

/** Delivered messages/s at most once with the module's metrics off and on, the same app otherwise. */
export interface MetricsCost {
  connections: number;
  memory: { off: number; on: number };
  redis: { off: number; on: number };
}

/** What one Express round measures. */
type ExpressRound = ModesResult & { naive: number };

type Broker = 'memory' | 'redis';

/** The broadcast scenarios, each channel figure next to the queue mode's doing the same for as many clients. */
export interface BroadcastResults {
  fanout: (Fanout & { broker: Broker })[];
  steady: { plan: SteadyPlan; runs: (Steady & { broker: Broker })[] };
}

/** What `--only peer` writes. */
export interface PeerRun {
  date: string;
  machine: Results['machine'];
  quick: boolean;
  peer: PeerOutcome;
}

/** Single polls on Fastify (at most once) at one connection count: one Redis, the Cluster, and the baseline build. */
export interface CoreThroughput {
  connections: number;
  rounds: { redis: number; cluster: number; baseline?: number }[];
  median: { redis: number; cluster: number; baseline?: number };
}

/** What `--only core` writes. */
export interface CoreRun {
  date: string;
  machine: Results['machine'];
  quick: boolean;
  /** The checkout whose build the baseline figures come from, with its commit. */
  baseline?: string;
  commands: CommandCost[];
  wakeUp: { store: 'redis' | 'cluster'; delivery: DeliveryMode; adapter: 'fastify'; result: IdleScale }[];
  throughput: CoreThroughput[];
  spread: MasterSpread;
}

/** What `--only broadcast` writes. */
export interface BroadcastRun {
  date: string;
  machine: Results['machine'];
  quick: boolean;
  broadcast: BroadcastResults;
}

/** What `--only queue` writes. */
export interface QueueRun {
  date: string;
  machine: Results['machine'];
  quick: boolean;
  publishes: PublishCost[];
  takes: TakeCost[];
  due: DueAtOnce[];
}

/** What `--only streams` writes: each stream figure next to long polls doing the same, and Nchan's EventSource. */
export interface StreamsRun {
  date: string;
  machine: Results['machine'];
  quick: boolean;
  fanout: { streams: (StreamFanout & { store: Broker })[]; polls: (Fanout & { broker: Broker })[] };
  steady: { plan: SteadyPlan; streams: (StreamSteady & { store: Broker })[]; polls: (Steady & { broker: Broker })[] };
  /** Nchan's version, or why it was not run (never in the quick run). */
  nchan: { version: string } | { skipped: string };
}

/** The module's figures over the bare Nest app's on its adapter, in the same round. */
export type IntakeRatios = Pick<Intake, 'seconds' | 'heldSeconds' | 'cpuSeconds'>;

/** One server of the intake run: every round's figures, and their medians. */
export interface IntakeRow {
  server: 'node' | 'nest' | 'module';
  /** Nest's adapter (none for the plain server). */
  adapter?: 'express' | 'fastify';
  /** The module's broker. */
  store?: Broker;
  /** The listen backlog the app raised (Node's 511 otherwise). */
  backlog?: number;
  /** The module's polls on the direct route (`directRoute`). */
  direct?: boolean;
  rounds: Intake[];
  median: Intake;
  /** The module's rows: each round's ratios to the bare Nest app, and their medians. */
  versusBare?: { rounds: IntakeRatios[]; median: IntakeRatios };
}

/** What `--only intake` writes. */
export interface IntakeRun {
  date: string;
  machine: Results['machine'];
  quick: boolean;
  /** `direct`: the brokers of the rows on the direct route (on both adapters). */
  plan: { count: number; group: number; rounds: number; direct: Broker[] };
  rows: IntakeRow[];
}

/** What `--only pages` writes. */
export interface PagesRun {
  date: string;
  machine: Results['machine'];
  quick: boolean;
  pages: PageCost[];
}

export interface Results {
  date: string;
  machine: { cpus: string; cores: number; memoryGiB: number; node: string; redis: string };
  quick: boolean;
  throughput: ThroughputResult[];
  fastify: FastifyThroughputResult[];
  /** Both delivery modes and batches of `batchMax`; at most once, single polls are throughput's figures. */
  modes: ModesResult[];
  batchMax: number;
  metricsCost: MetricsCost;
  latency: {
    rate: number;
    endpoints: number;
    memory: Percentiles;
    redis: Percentiles;
    atLeastOnce: { memory: Percentiles; redis: Percentiles };
  };
  idle: { module: IdleScale[]; naive: IdleScale[]; bare: IdleScale[] };
  broadcast: BroadcastResults;
  /** Nchan next to ours, in the full run only (or why it was not run). */
  peer?: PeerOutcome;
  redisCeiling: { rpush: number; lpop: number; producerConsumerPair: number };
}

/** The record of a design that broke under the load: where, and why, with no figures. */
const broken = (waiting: number, error: Error): IdleScale =>
  ({ waiting, broke: `${error.message}${error.cause ? `: ${(error.cause as Error).message}` : ''}` }) as IdleScale;
/** The median of each figure across rounds of one shape. */
function medians<T>(rounds: T[]): T {
  if (typeof rounds[0] === 'number') {
    return median(rounds as number[]) as T;
  }
  const keys = Object.keys(rounds[0] as object);
  return Object.fromEntries(keys.map((key) => [key, medians(rounds.map((round) => (round as Record<string, unknown>)[key]))])) as T;
}
const log = (line: string) => console.log(`[bench] ${line}`);
const machine = (): Results['machine'] => ({
  cpus: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  redis: execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).split(' ')[2].replace('v=', ''),
});

/**
 * Writes a part run alone (`--only`) as DIR/<name>.json and DIR/<name>.md (its run line, then `lines`): files of their
 * own, so that the full run's results stay whole in the same directory.
 */
function writePart(name: string, results: Parameters<typeof runLine>[0], lines: string[]): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(`${out}/${name}.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${out}/${name}.md`, [runLine(results), '', ...lines].join('\n'));
  log(`${name} results written to ${out}`);
}

const redisServer = await startRedisServer();
const redis = new Redis(redisServer.url);

/**
 * Runs `use` on an app of its own (another build's with `script`), then empties Redis (or `stores`, the masters of a
 * Cluster) for the next.
 */
async function withApp<T>(
  env: Record<string, string>,
  use: (app: BenchApp) => Promise<T>,
  { script, stores = [redis] }: { script?: string; stores?: Redis[] } = {},
): Promise<T> {
  const app = await startBenchApp(env, [], script);
  try {
    return await use(app);
  } finally {
    await app.stop();
    await Promise.all(stores.map((store) => store.flushall()));
  }
}

try {
  const memoryEnv = { BROKER: 'memory' };
  const redisEnv = { BROKER: 'redis', REDIS_URL: redisServer.url };

  /** The adapter's ceiling, after a warm-up second. */
  async function warmCeiling(app: BenchApp, connections: number): Promise<number> {
    await ceiling(app, connections, 1);
    return ceiling(app, connections, plan.seconds);
  }

  /** Single polls, then batches where the plan has them, on one app. */
  async function pollRates(app: BenchApp, connections: number, ceilingRate: number, delivery: DeliveryMode): Promise<PollRates> {
    const single = await throughput(app, connections, plan.seconds, expected(ceilingRate), { delivery });
    if (!plan.batchConnections.includes(connections)) {
      return { single };
    }
    // A batch answer costs about what a constant one does, so the ceiling times BATCH is about what the run can take;
    // half as much again, as a ceiling measured on a barely warm app comes out low.
    const expectedRate = expected(ceilingRate * BATCH * 1.5);
    return { single, batch: await throughput(app, connections, plan.seconds, expectedRate, { delivery, max: BATCH }) };
  }

  /** One round on Express: its ceiling, both brokers in both delivery modes, and the naive design. */
  async function expressRound(connections: number): Promise<ExpressRound> {
    const first = await withApp(memoryEnv, async (app) => {
      const ceilingRate = await warmCeiling(app, connections);
      return { ceiling: ceilingRate, memory: await pollRates(app, connections, ceilingRate, 'at-most-once') };
    });
    const rates = (env: Record<string, string>, delivery: DeliveryMode) =>
      withApp({ ...env, DELIVERY: delivery }, (app) => pollRates(app, connections, first.ceiling, delivery));
    const memoryAtLeastOnce = await rates(memoryEnv, 'at-least-once');
    const redisAtMostOnce = await rates(redisEnv, 'at-most-once');
    const redisAtLeastOnce = await rates(redisEnv, 'at-least-once');
    const naive = await withApp(redisEnv, (app) => throughput(app, connections, plan.seconds, expected(first.ceiling), { route: 'naive' }));
    return {
      connections,
      ceiling: first.ceiling,
      memory: { atMostOnce: first.memory, atLeastOnce: memoryAtLeastOnce },
      redis: { atMostOnce: redisAtMostOnce, atLeastOnce: redisAtLeastOnce },
      naive,
    };
  }

  /** One round on Fastify: its own ceiling and both brokers, at most once. */
  async function fastifyRound(connections: number): Promise<FastifyThroughputResult> {
    const env = { ADAPTER: 'fastify' };
    const measured = await withApp({ ...memoryEnv, ...env }, async (app) => {
      const ceilingRate = await warmCeiling(app, connections);
      return { connections, ceiling: ceilingRate, memory: await throughput(app, connections, plan.seconds, expected(ceilingRate)) };
    });
    const onRedis = await withApp({ ...redisEnv, ...env }, (app) => throughput(app, connections, plan.seconds, expected(measured.ceiling)));
    return { ...measured, redis: onRedis };
  }

  /** Fan-out at each size, then the steady run, each on both brokers, channels then queues, each on an app of its own. */
  async function broadcastScenarios(): Promise<BroadcastResults> {
    const brokers = [
      ['memory', memoryEnv],
      ['redis', redisEnv],
    ] as const;
    const designs = ['channel', 'queues'] as const;
    const fanouts: BroadcastResults['fanout'] = [];
    for (const clients of plan.broadcast.fanout) {
      for (const [broker, env] of brokers) {
        for (const design of designs) {
          const result = await withApp(env, (app) => fanout(app, redis, design, clients));
          fanouts.push({ broker, ...result });
          const { answers } = result;
          log(
            `fan-out ${clients} ${broker} ${design}: ${result.answered} of ${result.waiting} waiting answered, first ` +
              `${result.first.toFixed(2)} ms, p50 ${answers.p50} ms, p99 ${answers.p99} ms, last ${answers.max} ms; ` +
              `${result.redisConnections} Redis connections, ${(result.heapPerPollBytes / 1_024).toFixed(1)} KB heap per client`,
          );
        }
      }
    }
    const runs: BroadcastResults['steady']['runs'] = [];
    for (const [broker, env] of brokers) {
      for (const design of designs) {
        const result = await withApp(env, (app) => steady(app, redis, design, plan.broadcast.steady));
        runs.push({ broker, ...result });
        const { latency: delays } = result;
        log(
          `steady ${broker} ${design}: ${result.clients} clients, ${result.publishRate.toFixed(0)} publishes/s, ` +
            `${result.deliveredPerSecond.toFixed(0)} delivered/s, p50 ${delays.p50} ms, p99 ${delays.p99} ms; ` +
            `${result.delivered} of ${result.expected} delivered, missing ${result.missing}, late ${result.late}, ` +
            `duplicates ${result.duplicates}, failed polls ${result.errors}; ` +
            `${result.appCpuPerDeliveryMicros.toFixed(0)} µs app CPU per delivery, ${result.redisConnections} Redis connections; ` +
            `waiting idle: ${result.idle.appCpuMillisPerSecond.toFixed(1)} ms app CPU/s, ${result.idle.redisCommandsPerSecond} Redis commands/s`,
        );
      }
    }
    return { fanout: fanouts, steady: { plan: plan.broadcast.steady, runs } };
  }

  const peer = () => peerScenario(plan.peer, redisServer.url, redis, log);

  /** Streams beside polls on both brokers, then Nchan's EventSource on both of its stores (see the comment at the top). */
  async function streamScenarios(): Promise<Omit<StreamsRun, 'date' | 'machine' | 'quick'>> {
    // The quick run checks the scenario on Redis alone.
    const stores = ([
      ['memory', memoryEnv],
      ['redis', redisEnv],
    ] as const).filter(([store]) => !quick || store === 'redis');
    const steadyPlan = plan.broadcast.steady;
    const results: Omit<StreamsRun, 'date' | 'machine' | 'quick'> = {
      fanout: { streams: [], polls: [] },
      steady: { plan: steadyPlan, streams: [], polls: [] },
      nchan: { skipped: 'the quick run does not need Nchan' },
    };
    const logFanout = (what: string, result: StreamFanout) =>
      log(
        `stream fan-out ${result.streams} ${what}: ${result.received} got it, open in ${result.openSeconds.toFixed(2)} s, ` +
          `${(result.rssPerStreamBytes / 1_024).toFixed(1)} KB RSS each; p50 ${result.delivery.p50} ms, last ${result.delivery.max} ms`,
      );
    const logSteady = (what: string, result: StreamSteady) =>
      log(
        `stream steady ${what}: ${result.streams} streams, ${result.deliveredPerSecond.toFixed(0)} events/s, p50 ${result.latency.p50} ms, ` +
          `p99 ${result.latency.p99} ms; ${result.delivered} of ${result.expected}, missing ${result.missing}, late ${result.late}, ` +
          `duplicates ${result.duplicates}; ${result.cpuPerEventMicros.toFixed(0)} µs CPU per event`,
      );
    for (const clients of plan.streams.fanout) {
      for (const [store, env] of stores) {
        const streamed = await withApp(env, (app) => streamFanout(oursStreaming(app), clients));
        results.fanout.streams.push({ store, ...streamed });
        logFanout(`ours ${store}`, streamed);
        results.fanout.polls.push({ broker: store, ...(await withApp(env, (app) => fanout(app, redis, 'channel', clients))) });
      }
    }
    for (const [store, env] of stores) {
      const streamed = await withApp(env, (app) => streamSteady(oursStreaming(app), steadyPlan));
      results.steady.streams.push({ store, ...streamed });
      logSteady(`ours ${store}`, streamed);
      results.steady.polls.push({ broker: store, ...(await withApp(env, (app) => steady(app, redis, 'channel', steadyPlan))) });
    }
    if (quick) {
      return results;
    }
    const installation = ensureNchan(log);
    if ('skipped' in installation) {
      results.nchan = installation;
      return results;
    }
    for (const [store] of stores) {
      const onNchan = async <T>(use: (server: NchanServer) => Promise<T>): Promise<T> => {
        const server = await NchanServer.start(installation, { workers: 1, redisUrl: store === 'redis' ? redisServer.url : undefined, bufferLength: plan.peer.bufferLength });
        results.nchan = { version: server.version };
        try {
          return await use(server);
        } finally {
          await server.stop();
          await redis.flushall();
        }
      };
      for (const clients of plan.streams.fanout) {
        const streamed = await onNchan((server) => streamFanout(nchanStreaming(server), clients));
        results.fanout.streams.push({ store, ...streamed });
        logFanout(`Nchan ${store}`, streamed);
      }
      const streamed = await onNchan((server) => streamSteady(nchanStreaming(server), steadyPlan));
      results.steady.streams.push({ store, ...streamed });
      logSteady(`Nchan ${store}`, streamed);
    }
    return results;
  }

  /** The intake of every server, a fresh process each, the rounds interleaved (see the comment at the top). */
  async function intakeScenario(): Promise<IntakeRun> {
    const { count, group, rounds } = plan.intake;
    const onHolding = (env: Record<string, string>) => () =>
      withApp(env, (app) => intake(holdingTarget(app), count, group), { script: HOLDING_APP });
    // The bench's own arrivals middleware off: the module's route alone, as the bare apps have theirs.
    const onModule = (env: Record<string, string>) => () =>
      withApp({ ...env, ARRIVALS: 'off' }, (app) => intake(moduleTarget(app), count, group));
    const servers: { row: Omit<IntakeRow, 'rounds' | 'median'>; measure: () => Promise<Intake> }[] = [
      { row: { server: 'node' }, measure: onHolding({ SERVER: 'node' }) },
      { row: { server: 'nest', adapter: 'express' }, measure: onHolding({ SERVER: 'nest', ADAPTER: 'express' }) },
      { row: { server: 'nest', adapter: 'fastify' }, measure: onHolding({ SERVER: 'nest', ADAPTER: 'fastify' }) },
      { row: { server: 'module', adapter: 'express', store: 'memory' }, measure: onModule({ ...memoryEnv, ADAPTER: 'express' }) },
      { row: { server: 'module', adapter: 'fastify', store: 'memory' }, measure: onModule({ ...memoryEnv, ADAPTER: 'fastify' }) },
      { row: { server: 'module', adapter: 'express', store: 'redis' }, measure: onModule({ ...redisEnv, ADAPTER: 'express' }) },
      { row: { server: 'module', adapter: 'fastify', store: 'redis' }, measure: onModule({ ...redisEnv, ADAPTER: 'fastify' }) },
      ...(['express', 'fastify'] as const).flatMap((adapter) =>
        plan.intake.direct.map((store) => ({
          row: { server: 'module' as const, adapter, store, direct: true },
          measure: onModule({ ...(store === 'memory' ? memoryEnv : redisEnv), ADAPTER: adapter, DIRECT: 'on' }),
        })),
      ),
      ...(['express', 'fastify'] as const).map((adapter) => ({
        row: { server: 'module' as const, adapter, store: 'memory' as const, backlog: RAISED_BACKLOG },
        measure: onModule({ ...memoryEnv, ADAPTER: adapter, BACKLOG: String(RAISED_BACKLOG) }),
      })),
    ];
    const measured = servers.map((): Intake[] => []);
    for (let round = 0; round < rounds; round++) {
      for (const [index, { row, measure }] of servers.entries()) {
        const result = await measure();
        measured[index].push(result);
        log(
          `intake round ${round + 1}, ${[row.server, row.adapter, row.store, row.direct && 'direct route', row.backlog && `backlog ${row.backlog}`].filter(Boolean).join(' ')}: ${result.written} written in ` +
            `${result.seconds.toFixed(2)} s, ${result.held} held at ${result.heldSeconds.toFixed(2)} s, ${result.cpuSeconds.toFixed(2)} s CPU, ` +
            `${result.listenOverflows} overflows; ${result.errors} errors, ${result.answered} answered`,
        );
      }
    }
    const rows = servers.map(({ row }, index): IntakeRow => ({ ...row, rounds: measured[index], median: medians(measured[index]) }));
    for (const row of rows.filter(({ server }) => server === 'module')) {
      const bare = rows.find(({ server, adapter }) => server === 'nest' && adapter === row.adapter)!;
      const ratios = row.rounds.map(
        (result, round): IntakeRatios => ({
          seconds: result.seconds / bare.rounds[round].seconds,
          heldSeconds: result.heldSeconds / bare.rounds[round].heldSeconds,
          cpuSeconds: result.cpuSeconds / bare.rounds[round].cpuSeconds,
        }),
      );
      row.versusBare = { rounds: ratios, median: medians(ratios) };
    }
    return { date: new Date().toISOString(), machine: machine(), quick, plan: plan.intake, rows };
  }

  /** The delivery core on one Redis and on a Cluster of its own (see the comment at the top). */
  async function coreScenario(): Promise<CoreRun> {
    const cluster = await RedisCluster.start();
    const masterNodes = (await cluster.topology()).filter(({ role }) => role === 'master');
    const masters = masterNodes.map(({ port }) => new Redis(port));
    const clusterEnv = { BROKER: 'cluster', REDIS_CLUSTER_NODES: cluster.nodes };
    const fastify = { ADAPTER: 'fastify' };
    const onCluster = <T>(env: Record<string, string>, use: (app: BenchApp) => Promise<T>) =>
      withApp({ ...clusterEnv, ...env }, use, { stores: masters });
    const baselineApp = baseline && `${baseline}/bench/dist/bench/app.js`;
    try {
      const commands: CommandCost[] = [];
      for (const delivery of ['at-most-once', 'at-least-once'] as const) {
        const cost = await withApp({ ...redisEnv, ...fastify, DELIVERY: delivery }, (app) =>
          commandCost(app, redisServer.url, { ...plan.core.commands, delivery }),
        );
        commands.push(cost);
        log(`commands ${delivery}: ${cost.sent.perMessage} sent, ${cost.executed.perMessage} run per message (${JSON.stringify(cost.sent.byCommand)})`);
      }
      const wakeUp: CoreRun['wakeUp'] = [];
      for (const [store, delivery] of [['redis', 'at-most-once'], ['redis', 'at-least-once'], ['cluster', 'at-most-once']] as const) {
        const env = { ...fastify, DELIVERY: delivery };
        const result =
          store === 'redis'
            ? await withApp({ ...redisEnv, ...env }, (app) => idleScale(app, redis, 'messages', plan.core.waiting))
            : await onCluster(env, (app) => idleScale(app, masters, 'messages', plan.core.waiting));
        wakeUp.push({ store, delivery, adapter: 'fastify', result });
        log(`wake-up ${store} ${delivery}: ${JSON.stringify(result)}`);
      }
      const throughputs: CoreThroughput[] = [];
      for (const connections of plan.core.polls) {
        const fill = await withApp({ ...memoryEnv, ...fastify }, async (app) => expected(await warmCeiling(app, connections)));
        const rounds: CoreThroughput['rounds'] = [];
        for (let round = 0; round < plan.core.rounds; round++) {
          const measure = (app: BenchApp) => throughput(app, connections, plan.seconds, fill);
          rounds.push({
            redis: await withApp({ ...redisEnv, ...fastify }, measure),
            cluster: await onCluster(fastify, measure),
            ...(baselineApp ? { baseline: await withApp({ ...redisEnv, ...fastify }, measure, { script: baselineApp }) } : {}),
          });
          log(`single polls C=${connections} round ${round + 1}: ${JSON.stringify(rounds[round])}`);
        }
        throughputs.push({ connections, rounds, median: medians(rounds) });
      }
      const spread = await onCluster(fastify, (app) => masterSpread(app, masters, { ...plan.core.spread, delivery: 'at-most-once' }));
      log(`spread over masters: ${JSON.stringify(spread)}`);
      const described = baseline && `${baseline} at ${execFileSync('git', ['-C', baseline, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim()}`;
      return { date: new Date().toISOString(), machine: machine(), quick, baseline: described, commands, wakeUp, throughput: throughputs, spread };
    } finally {
      masters.forEach((master) => master.disconnect());
      await cluster.stop();
    }
  }

  /** Each page size as single polls and as one multiplexed poll, on one app each, the median of the rounds. */
  async function pagesScenario(): Promise<PagesRun> {
    const { rounds, subscriptions: sizes, ...load } = plan.pages;
    const costs: PageCost[] = [];
    for (const subscriptions of sizes) {
      for (const design of ['single polls', 'multiplexed'] as const) {
        const measured: PageCost[] = [];
        for (let round = 0; round < rounds; round++) {
          measured.push(await withApp(redisEnv, (app) => pageCost(app, { ...load, subscriptions }, design)));
        }
        const middle = (figure: (cost: PageCost) => number) => median(measured.map(figure));
        const cost: PageCost = {
          ...measured[0],
          delivered: middle((of) => of.delivered),
          requestsPerMessage: middle((of) => of.requestsPerMessage),
          cpuPerMessageUs: middle((of) => of.cpuPerMessageUs),
        };
        log(`${load.pages} pages of ${subscriptions}, ${design}: ${cost.requestsPerMessage} requests and ${cost.cpuPerMessageUs} µs per message`);
        costs.push(cost);
      }
    }
    return { date: new Date().toISOString(), machine: machine(), quick, pages: costs };
  }

  if (only === 'none') {
    log('built; nothing run');
  } else if (only === 'queue') {
    const publishes = await publishCosts(redisServer.url, redis, plan.queue.publish);
    publishes.forEach(({ store, variant, relative }) => log(`${store}, ${variant}: ${relative.toFixed(2)}× a plain publish`));
    const takes = await takeCosts(redisServer.url, redis, plan.queue.take);
    takes.forEach(({ store, variant, relative }) => log(`${store}, receiving ${variant}: ${relative.toFixed(2)}× plain messages`));
    const due = await dueAtOnce(redisServer.url, redis, plan.queue.due);
    due.forEach(({ store, messages, drainSeconds }) => log(`${store}: ${messages} due at once, all received ${drainSeconds} s later`));
    const results: QueueRun = { date: new Date().toISOString(), machine: machine(), quick, publishes, takes, due };
    writePart('queue', results, renderQueueFeatures(results));
  } else if (only === 'pages') {
    const results = await pagesScenario();
    writePart('pages', results, renderPages(results.pages));
  } else if (only === 'core') {
    const results = await coreScenario();
    writePart('core', results, renderCore(results));
  } else if (only === 'profile') {
    const profiles: ProfileResult[] = [];
    for (const [i, profilePlan] of plan.profiles.entries()) {
      profiles.push(await cpuProfile(profilePlan, redisServer.url, redis, `${out}/profile-${i + 1}.cpuprofile`));
      await redis.flushall();
    }
    const results = { date: new Date().toISOString(), machine: machine(), quick, profiles };
    writePart('profile', results, profiles.flatMap(renderProfile));
  } else if (only === 'peer') {
    const results: PeerRun = { date: new Date().toISOString(), machine: machine(), quick, peer: await peer() };
    writePart('peer', results, renderPeer(results.peer));
  } else if (only === 'streams') {
    const results: StreamsRun = { date: new Date().toISOString(), machine: machine(), quick, ...(await streamScenarios()) };
    writePart('streams', results, renderStreams(results));
  } else if (only === 'intake') {
    const results = await intakeScenario();
    writePart('intake', results, renderIntake(results));
  } else if (only === 'broadcast') {
    const broadcast = await broadcastScenarios();
    const results: BroadcastRun = { date: new Date().toISOString(), machine: machine(), quick, broadcast };
    writePart('broadcast', results, renderBroadcast(broadcast));
  } else {
    const perSecond = ({ single, batch }: PollRates) =>
      `${single.toFixed(0)}/s${batch === undefined ? '' : ` (max=${BATCH}: ${batch.toFixed(0)}/s)`}`;
    const throughputResults: ThroughputResult[] = [];
    const fastifyResults: FastifyThroughputResult[] = [];
    const modesResults: ModesResult[] = [];
    for (const connections of plan.connections) {
      const express: ExpressRound[] = [];
      const fastify: FastifyThroughputResult[] = [];
      for (let round = 0; round < plan.rounds; round++) {
        express.push(await expressRound(connections));
        fastify.push(await fastifyRound(connections));
        const [e, f] = [express[round], fastify[round]];
        log(
          `C=${connections} round ${round + 1}: Express ceiling ${e.ceiling.toFixed(0)}/s, memory ${perSecond(e.memory.atMostOnce)}, ` +
            `at least once ${perSecond(e.memory.atLeastOnce)}, redis ${perSecond(e.redis.atMostOnce)}, ` +
            `at least once ${perSecond(e.redis.atLeastOnce)}, naive ${e.naive.toFixed(0)}/s; ` +
            `Fastify ceiling ${f.ceiling.toFixed(0)}/s, memory ${f.memory.toFixed(0)}/s, redis ${f.redis.toFixed(0)}/s`,
        );
      }
      const { naive, ...modes } = medians(express);
      throughputResults.push({
        connections,
        ceiling: modes.ceiling,
        memory: modes.memory.atMostOnce.single,
        redis: modes.redis.atMostOnce.single,
        naive,
      });
      modesResults.push(modes);
      fastifyResults.push(medians(fastify));
    }

    /** One round of the metrics' cost: each broker with metrics off, then on, at the plan's first connection count. */
    async function metricsRound(connections: number, expectedRate: number): Promise<MetricsCost> {
      const rates = async (env: Record<string, string>) => ({
        off: await withApp(env, (app) => throughput(app, connections, plan.seconds, expectedRate)),
        on: await withApp({ ...env, METRICS: 'on' }, (app) => throughput(app, connections, plan.seconds, expectedRate)),
      });
      return { connections, memory: await rates(memoryEnv), redis: await rates(redisEnv) };
    }
    const costRounds: MetricsCost[] = [];
    for (let round = 0; round < plan.rounds; round++) {
      costRounds.push(await metricsRound(plan.connections[0], expected(throughputResults[0].ceiling)));
      const { memory, redis } = costRounds[round];
      log(`metrics round ${round + 1}: memory ${memory.off.toFixed(0)}/s off, ${memory.on.toFixed(0)}/s on; redis ${redis.off.toFixed(0)}/s off, ${redis.on.toFixed(0)}/s on`);
    }
    const metricsCost = medians(costRounds);

    const endpoints = 64;
    const rate = Math.max(100, Math.round(throughputResults[0].redis * 0.1));
    const latencyOf = (env: Record<string, string>, delivery: DeliveryMode) =>
      withApp({ ...env, DELIVERY: delivery }, (app) => latency(app, endpoints, rate, plan.latencySeconds, delivery));
    const latencies: Results['latency'] = {
      rate,
      endpoints,
      memory: await latencyOf(memoryEnv, 'at-most-once'),
      redis: await latencyOf(redisEnv, 'at-most-once'),
      atLeastOnce: { memory: await latencyOf(memoryEnv, 'at-least-once'), redis: await latencyOf(redisEnv, 'at-least-once') },
    };
    const percentiles = ({ p50, p99 }: Percentiles) => `p50 ${p50} ms p99 ${p99} ms`;
    log(
      `latency at ${rate}/s: memory ${percentiles(latencies.memory)}, at least once ${percentiles(latencies.atLeastOnce.memory)}; ` +
        `redis ${percentiles(latencies.redis)}, at least once ${percentiles(latencies.atLeastOnce.redis)}`,
    );

    const idle: Results['idle'] = { module: [], naive: [], bare: [] };
    for (const waiting of plan.idle) {
      for (const route of ['messages', 'naive', 'bare'] as const) {
        const result = await withApp(redisEnv, (app) => idleScale(app, redis, route, waiting)).catch(
          (error: Error): IdleScale => broken(waiting, error),
        );
        idle[route === 'messages' ? 'module' : route].push(result);
        log(`idle ${route} ${waiting}: ${JSON.stringify(result)}`);
      }
    }

    const benchmark = redisBenchmark(Number(new URL(redisServer.url).port), plan.redisRequests);
    const pair = await producerConsumerPair(redisServer.url, plan.seconds);
    log(`redis: RPUSH ${benchmark.rpush}/s, LPOP ${benchmark.lpop}/s, RPUSH→BLPOP pair ${pair.toFixed(0)}/s`);

    const broadcast = await broadcastScenarios();

    const results: Results = {
      date: new Date().toISOString(),
      machine: machine(),
      quick,
      throughput: throughputResults,
      fastify: fastifyResults,
      modes: modesResults,
      batchMax: BATCH,
      metricsCost,
      latency: latencies,
      idle,
      broadcast,
      peer: quick ? undefined : await peer(),
      redisCeiling: { ...benchmark, producerConsumerPair: pair },
    };
    mkdirSync(out, { recursive: true });
    writeFileSync(`${out}/results.json`, `${JSON.stringify(results, null, 2)}\n`);
    writeFileSync(`${out}/results.md`, renderTable(results));
    writeFileSync(`${out}/chart.svg`, renderChart(results));
    log(`results written to ${out}`);
  }
} finally {
  redis.disconnect();
  await redisServer.stop();
}
