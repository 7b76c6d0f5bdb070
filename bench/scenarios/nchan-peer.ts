import type { Redis } from 'ioredis';
import { performance } from 'node:perf_hooks';
import { LatencyHistogram, Percentiles } from '../latency-histogram.js';
import { Accounting, PeerLoad } from '../peer/load.js';
import { ensureNchan, nginxVersion } from '../peer/nchan.js';
import { machineTicks } from '../peer/proc.js';
import { nchanTarget, oursTarget, PeerAdapter, PeerSetup, PeerTarget } from '../peer/targets.js';
import { openInGroups, until } from '../waiting-polls.js';

export interface PeerPlan {
  /** Subscriber counts of the saturation runs. */
  subscribers: number[];
  /** At saturation, how many messages a channel may be ahead of its subscriber (the publisher waits beyond). */
  backlog: number;
  /** The publisher's keep-alive connections. */
  publishers: number;
  /** Saturation: seconds of warm-up, then seconds measured. */
  warmup: number;
  seconds: number;
  /** The fixed-rate run (latency, CPU per message): messages/s, subscribers, seconds of warm-up, seconds measured. */
  rate: number;
  rateSubscribers: number;
  rateWarmup: number;
  rateSeconds: number;
  /** Subscribers waiting, each on a channel and a connection of its own (memory per waiting subscriber). */
  waiting: number;
  /** Of them, how many then get a message (at `rate`, spread over the range): the wake-up latency. */
  woken: number;
  /** Messages each Nchan channel keeps (`nchan_message_buffer_length`): more than a subscriber can fall behind by. */
  bufferLength: number;
  /** Milliseconds to wait for the last messages of a run after its last publish. */
  grace: number;
  /** The multi-process rows, Redis store, saturation only: Nchan on two workers, ours in two processes on these adapters. */
  multiProcess: PeerAdapter[];
}

export interface Saturation {
  subscribers: number;
  deliveredPerSecond: number;
  /** The server's CPU over the measured seconds, in cores (all its processes), and its CPU per delivered message. */
  serverCores: number;
  serverCpuPerMessageMicros: number;
  /** Redis's CPU over the measured seconds, in cores (0 on the memory store). */
  redisCores: number;
  /** The driver's own CPU over the measured seconds, in cores: near 1, the client may have been the limit. */
  driverCores: number;
  /** The machine's busy share over those seconds (1: every core busy). */
  machineBusy: number;
  accounting: Accounting;
}

export interface AtRate {
  rate: number;
  subscribers: number;
  /** What the publisher achieved over the whole run (warm-up included). */
  achievedRate: number;
  /** From the publish request's sending to the subscriber's receipt of the message, both in the driver. */
  latency: Percentiles;
  serverCpuPerMessageMicros: number;
  /** 0 on the memory store. */
  redisCpuPerMessageMicros: number;
  accounting: Accounting;
}

export interface Idle {
  waiting: number;
  /** From the first connection to all of them waiting in the server. */
  acceptSeconds: number;
  rssPerWaitingBytes: number;
  /** Redis's `used_memory` per waiting subscriber (0 on the memory store). */
  redisMemoryPerWaitingBytes: number;
  woken: number;
  wakeUp: Percentiles;
  accounting: Accounting;
}

export interface PeerRow extends PeerSetup {
  saturation: Saturation[];
  atRate?: AtRate;
  idle?: Idle;
  /** Why the row has no figures, when it broke. */
  broke?: string;
  /** Nchan's error log, lines of level error and worse. */
  serverErrors: string[];
  /** Failed polls and publishes, by what failed, all runs of the row together. */
  failures: Record<string, number>;
}

export interface PeerResults {
  nginx: string;
  nchan: string;
  /** The generated nginx configurations (their port and directory change with every start). */
  configs: { memory: string; redis: string };
  plan: PeerPlan;
  rows: PeerRow[];
}

/** What the scenario gives: its figures, or why it did not run. */
export type PeerOutcome = PeerResults | { skipped: string };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const seconds = (from: number) => (performance.now() - from) / 1_000;

/**
 * Nchan and ours side by side, end to end, each driven by the same client (`PeerLoad`): subscribers long-poll each a
 * channel (endpoint) of their own on a keep-alive connection, following each server's protocol; a publisher posts
 * messages over HTTP (Nchan's `POST /pub?id=`, ours a Nest route calling `publish()`). Per server and store: delivered
 * messages/s at saturation, latency and CPU per message at a fixed rate, memory per waiting subscriber and the wake-up
 * of some of them; every message checked (received once, in order).
 */
export async function peerScenario(plan: PeerPlan, redisUrl: string, redis: Redis, log: (line: string) => void): Promise<PeerOutcome> {
  if (plan.backlog >= plan.bufferLength) {
    // Nchan keeps the last bufferLength messages of a channel: a subscriber further behind would miss some.
    throw new Error(`the peer plan's backlog (${plan.backlog}) must stay below Nchan's buffer length (${plan.bufferLength})`);
  }
  const installation = ensureNchan(log);
  if ('skipped' in installation) {
    log(`peer scenario skipped: ${installation.skipped}`);
    return installation;
  }
  const configs = { memory: '', redis: '' };
  let nchanVersion = 'unknown';
  const nchan = (store: 'memory' | 'redis', workers: number) => async () => {
    const target = await nchanTarget(installation, store, workers, redisUrl, plan.bufferLength);
    configs[store] ||= target.config;
    nchanVersion = target.version;
    return target;
  };
  const ours = (setup: PeerSetup) => () => oursTarget(setup, redisUrl, redis);

  const rows: PeerRow[] = [];
  const measure = async (setup: PeerSetup, start: () => Promise<PeerTarget>, full: boolean) => {
    rows.push(await measureTarget(setup, start, full, plan, redis, log));
  };
  const measureOurs = (setup: Omit<PeerSetup, 'server'>, full: boolean) =>
    measure({ server: 'ours', ...setup }, ours({ server: 'ours', ...setup }), full);
  await measure({ server: 'nchan', store: 'memory', processes: 1 }, nchan('memory', 1), true);
  await measure({ server: 'nchan', store: 'redis', processes: 1 }, nchan('redis', 1), true);
  for (const adapter of ['express', 'fastify'] as const) {
    for (const store of ['memory', 'redis'] as const) {
      await measureOurs({ store, adapter, processes: 1 }, true);
    }
  }
  // The direct route, on each adapter.
  for (const adapter of ['express', 'fastify'] as const) {
    await measureOurs({ store: 'redis', adapter, processes: 1, direct: true }, true);
  }
  // Acknowledged delivery, on the fastest adapter.
  await measureOurs({ store: 'redis', adapter: 'fastify', processes: 1, delivery: 'at-least-once' }, true);
  if (plan.multiProcess.length > 0) {
    await measure({ server: 'nchan', store: 'redis', processes: 2 }, nchan('redis', 2), false);
    for (const adapter of plan.multiProcess) {
      await measureOurs({ store: 'redis', adapter, processes: 2 }, false);
    }
  }
  return { nginx: nginxVersion(installation), nchan: nchanVersion, configs, plan, rows };
}

const label = ({ server, store, adapter, processes, delivery, direct }: PeerSetup) =>
  `${server === 'nchan' ? 'Nchan' : `ours (${adapter}${direct ? ', direct route' : ''})`} ${store}${processes > 1 ? ` × ${processes}` : ''}${delivery ? `, ${delivery}` : ''}`;

/** Every run of the plan on one server (`full`), or the saturation runs alone; a failure is the row's, not the scenario's. */
async function measureTarget(
  setup: PeerSetup,
  start: () => Promise<PeerTarget>,
  full: boolean,
  plan: PeerPlan,
  redis: Redis,
  log: (line: string) => void,
): Promise<PeerRow> {
  const row: PeerRow = { ...setup, saturation: [], serverErrors: [], failures: {} };
  const redisOf = ({ store }: PeerSetup) => (store === 'redis' ? redis : undefined);
  const name = label(setup);
  let target: PeerTarget | undefined;
  const run = async <T>(load: PeerLoad, measure: () => Promise<T>): Promise<T> => {
    try {
      return await measure();
    } catch (error) {
      // Its subscribers would poll on, the server gone, and hold the run up.
      await load.stop();
      throw error;
    } finally {
      load.errors.forEach((count, what) => (row.failures[what] = (row.failures[what] ?? 0) + count));
    }
  };
  try {
    target = await start();
    // Memory per waiting subscriber first, on a server that has not yet grown a heap or buffers under load, but warm.
    if (full) {
      const warmLoad = new PeerLoad(target, names('u', plan.rateSubscribers));
      await run(warmLoad, () => warmUp(target!, warmLoad, plan));
      const idleLoad = new PeerLoad(target, names('w', plan.waiting));
      const idle = await run(idleLoad, () => waitingSubscribers(target!, idleLoad, plan, redisOf(setup)));
      row.idle = idle;
      log(
        `peer ${name}, ${idle.waiting} waiting: accepted in ${idle.acceptSeconds.toFixed(2)} s, ` +
          `${(idle.rssPerWaitingBytes / 1_024).toFixed(1)} KB RSS + ${(idle.redisMemoryPerWaitingBytes / 1_024).toFixed(1)} KB Redis each; ` +
          `wake-up of ${idle.woken}: p50 ${idle.wakeUp.p50} ms, p99 ${idle.wakeUp.p99} ms; ${accounted(idle.accounting)}`,
      );
    }
    for (const subscribers of plan.subscribers) {
      const load = new PeerLoad(target, names(`s${subscribers}c`, subscribers));
      const result = await run(load, () => saturation(target!, load, plan, redisOf(setup)));
      row.saturation.push(result);
      log(
        `peer ${name}, ${subscribers} subscribers: ${result.deliveredPerSecond.toFixed(0)} delivered/s ` +
          `(server ${result.serverCores.toFixed(2)} cores, ${result.serverCpuPerMessageMicros.toFixed(0)} µs per message; ` +
          `Redis ${result.redisCores.toFixed(2)} cores; ` +
          `driver ${result.driverCores.toFixed(2)} cores, machine ${(100 * result.machineBusy).toFixed(0)} % busy); ` +
          accounted(result.accounting),
      );
    }
    if (full) {
      const rateLoad = new PeerLoad(target, names('r', plan.rateSubscribers));
      const atRate = await run(rateLoad, () => fixedRate(target!, rateLoad, plan, redisOf(setup)));
      row.atRate = atRate;
      log(
        `peer ${name}, ${atRate.rate}/s over ${atRate.subscribers}: p50 ${atRate.latency.p50} ms, p99 ${atRate.latency.p99} ms, ` +
          `${atRate.serverCpuPerMessageMicros.toFixed(0)} µs server + ${atRate.redisCpuPerMessageMicros.toFixed(0)} µs Redis CPU ` +
          `per message; ${accounted(atRate.accounting)}`,
      );
    }
  } catch (error) {
    row.broke = (error as Error).message;
    log(`peer ${name} broke: ${row.broke}`);
  } finally {
    row.serverErrors = target?.errors() ?? [];
    if (row.serverErrors.length > 0) {
      log(`peer ${name}: ${row.serverErrors.length} errors in Nchan's log, the first: ${row.serverErrors[0]}`);
    }
    await target?.stop();
    await redis.flushall();
  }
  return row;
}

const names = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}${i}`);
const accounted = (a: Accounting) =>
  `${a.delivered} of ${a.published} received, missing ${a.missing}, out of order ${a.outOfOrder}, late ${a.late}, errors ${a.errors}`;

/** Opens a subscriber per channel of `load`, in groups; resolves once all wait in the server, with the seconds it took. */
async function openSubscribers(target: PeerTarget, load: PeerLoad): Promise<number> {
  const count = load.channels.length;
  // The previous run's polls must be gone, or they would count as this run's.
  await until(async () => (await target.waiting()) === 0, 10_000);
  const started = performance.now();
  await openInGroups(count, (i) => load.subscribe(i), () => target.waiting());
  if (!(await until(() => target.ready(count)))) {
    throw new Error(`only ${await target.waiting()} of ${count} subscribers were waiting after 30 s`);
  }
  return seconds(started);
}

/**
 * A run at the plan's rate on channels of their own, unmeasured: the first requests of a route in a Node app run cold
 * (compiled as they go), which with 10,000 polls waiting held its first wake-ups up for a second and more.
 */
async function warmUp(target: PeerTarget, load: PeerLoad, plan: PeerPlan): Promise<void> {
  await openSubscribers(target, load);
  await load.atRate(plan.publishers, plan.rate, Math.round(plan.rate * plan.rateWarmup));
  await load.drained(plan.grace);
  await load.stop();
}

/** Delivered messages/s with the publisher as fast as the subscribers take them, each channel's backlog bounded. */
async function saturation(target: PeerTarget, load: PeerLoad, plan: PeerPlan, redis: Redis | undefined): Promise<Saturation> {
  await openSubscribers(target, load);
  let [from, to, delivered] = [Infinity, Infinity, 0];
  load.onMessage = (_, receivedAt) => {
    if (receivedAt >= from && receivedAt < to) {
      delivered++;
    }
  };
  const publishing = load.saturate(plan.publishers, plan.backlog, plan.warmup + plan.seconds);
  await sleep(plan.warmup * 1_000);
  from = performance.now();
  const [serverBefore, redisBefore] = [await target.cpuMicros(), await redisCpuMicros(redis)];
  const [driverBefore, machineBefore] = [process.cpuUsage(), machineTicks()];
  await sleep(plan.seconds * 1_000);
  to = performance.now();
  const [driver, machine] = [process.cpuUsage(driverBefore), machineTicks()];
  const [server, redisCpu] = [(await target.cpuMicros()) - serverBefore, (await redisCpuMicros(redis)) - redisBefore];
  await publishing;
  await load.drained(plan.grace);
  const accounting = await load.stop();
  const measured = (to - from) / 1_000;
  return {
    subscribers: load.channels.length,
    deliveredPerSecond: delivered / measured,
    serverCores: server / 1_000_000 / measured,
    serverCpuPerMessageMicros: server / delivered,
    redisCores: redisCpu / 1_000_000 / measured,
    driverCores: (driver.user + driver.system) / 1_000_000 / measured,
    machineBusy: (machine.busy - machineBefore.busy) / (machine.total - machineBefore.total),
    accounting,
  };
}

/** Redis's CPU time so far (µs, all its threads), 0 without Redis. */
async function redisCpuMicros(redis: Redis | undefined): Promise<number> {
  if (redis === undefined) {
    return 0;
  }
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1_000_000;
}

async function redisMemory(redis: Redis | undefined): Promise<number> {
  return redis === undefined ? 0 : Number(/used_memory:(\d+)/.exec(await redis.info('memory'))?.[1] ?? 0);
}

/** Latency and CPU per message at a fixed rate, round-robin over the channels; the warm-up is left out of both. */
async function fixedRate(target: PeerTarget, load: PeerLoad, plan: PeerPlan, redis: Redis | undefined): Promise<AtRate> {
  await openSubscribers(target, load);
  const histogram = new LatencyHistogram();
  let measuredFrom = Infinity;
  load.onMessage = (sentAt, receivedAt) => {
    if (sentAt >= measuredFrom) {
      histogram.record(receivedAt - sentAt);
    }
  };
  const total = Math.round(plan.rate * (plan.rateWarmup + plan.rateSeconds));
  const publishing = load.atRate(plan.publishers, plan.rate, total);
  await sleep(plan.rateWarmup * 1_000);
  const [serverBefore, redisBefore] = [await target.cpuMicros(), await redisCpuMicros(redis)];
  measuredFrom = performance.now();
  const { seconds: took } = await publishing;
  await load.drained(plan.grace);
  const [server, redisCpu] = [(await target.cpuMicros()) - serverBefore, (await redisCpuMicros(redis)) - redisBefore];
  const accounting = await load.stop();
  const latency = histogram.percentiles();
  return {
    rate: plan.rate,
    subscribers: load.channels.length,
    achievedRate: total / took,
    latency,
    serverCpuPerMessageMicros: server / latency.count,
    redisCpuPerMessageMicros: redisCpu / latency.count,
    accounting,
  };
}

/**
 * `plan.waiting` subscribers wait, each on a channel and a connection of its own: how long the server took to hold
 * them all, its memory (and Redis's) per waiting subscriber; then `plan.woken` of them, spread over the range, get a
 * message each at `plan.rate`, and each message's delay is taken.
 */
async function waitingSubscribers(target: PeerTarget, load: PeerLoad, plan: PeerPlan, redis: Redis | undefined): Promise<Idle> {
  const count = load.channels.length;
  const [rssBefore, redisBefore] = [await target.rssBytes(), await redisMemory(redis)];
  const acceptSeconds = await openSubscribers(target, load);
  const [rss, redisAfter] = [await target.rssBytes(), await redisMemory(redis)];
  const woken = Math.min(plan.woken, count);
  const over = Array.from({ length: woken }, (_, i) => load.channels[Math.floor((i * count) / woken)]);
  const histogram = new LatencyHistogram();
  load.onMessage = (sentAt, receivedAt) => histogram.record(receivedAt - sentAt);
  await load.atRate(plan.publishers, plan.rate, woken, over);
  await load.drained(plan.grace);
  const accounting = await load.stop();
  return {
    waiting: count,
    acceptSeconds,
    rssPerWaitingBytes: (rss - rssBefore) / count,
    redisMemoryPerWaitingBytes: (redisAfter - redisBefore) / count,
    woken,
    wakeUp: histogram.percentiles(),
    accounting,
  };
}
