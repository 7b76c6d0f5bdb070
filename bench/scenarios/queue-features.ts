import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { median } from '../median.js';
import { getPistachioQueueToken, getPistachioToken, PistachioModule, PistachioQueue, PistachioService, PublishOptions } from '../../lib/index.js';

export type Store = 'memory' | 'redis';
export type PublishVariant = 'plain' | 'deduplicationId' | 'delay' | 'ttl' | 'deduplicationId + delay';
const VARIANTS: PublishVariant[] = ['plain', 'deduplicationId', 'delay', 'ttl', 'deduplicationId + delay'];

/** What an operation (a publish, a receive) cost on a store in one variant: the app's CPU and Redis's, per operation. */
export interface VariantCost<V extends string> {
  store: Store;
  variant: V;
  appUs: number;
  redisUs: number;
  /** (app + Redis) of this variant over that of the first (plain) one, in the same run. */
  relative: number;
}

/** What one kind of publish cost, beside a plain one. */
export type PublishCost = VariantCost<PublishVariant>;

/** What one receive cost a consumer working through a backlog of messages published with a variant's options. */
export type TakeCost = VariantCost<TakeVariant>;

export type TakeVariant = 'plain' | 'ttl';
const TAKE_VARIANTS: TakeVariant[] = ['plain', 'ttl'];

export interface TakePlan {
  messages: number;
  rounds: number;
}

export interface PublishPlan {
  publishes: number;
  concurrency: number;
  rounds: number;
}

/** Delayed messages that all come due at the same moment, and how long the consumers took to receive them all. */
export interface DueAtOnce {
  store: Store;
  messages: number;
  /** Seconds the publishes took: they all finished before the messages came due. */
  publishSeconds: number;
  /** Seconds from the due moment until the last message was received. */
  drainSeconds: number;
}

export interface DuePlan {
  messages: number;
  endpoints: number;
  consumers: number;
}

/** A queue registration in an app context of its own (no HTTP: publishing and receiving in code), on `redis` or in memory. */
async function queues(redis: string | undefined, maxQueueLength: number): Promise<{ app: INestApplicationContext; service: PistachioService; queue: PistachioQueue }> {
  const namespace = `bench-${Date.now()}`;
  @Module({ imports: [PistachioModule.forRoot({ namespace, redis, maxQueueLength, messageTtl: 3_600_000 })] })
  class QueuesModule {}
  const app = await NestFactory.createApplicationContext(QueuesModule, { logger: ['error'] });
  return { app, service: app.get(getPistachioToken()), queue: app.get(getPistachioQueueToken()) };
}

/**
 * Runs `scenario` on each store in turn, on a queue registration of its own (`admin` is Redis's on Redis, for its CPU
 * figures), then closes it and empties Redis.
 */
async function onEachStore<R>(
  redisUrl: string,
  admin: Redis,
  maxQueueLength: number,
  scenario: (store: Store, registration: { service: PistachioService; queue: PistachioQueue }, admin: Redis | undefined) => Promise<R[]>,
): Promise<R[]> {
  const results: R[] = [];
  for (const store of ['memory', 'redis'] as Store[]) {
    const { app, ...registration } = await queues(store === 'redis' ? redisUrl : undefined, maxQueueLength);
    try {
      results.push(...(await scenario(store, registration, store === 'redis' ? admin : undefined)));
    } finally {
      await app.close();
      await admin.flushall();
    }
  }
  return results;
}

/** The options of a variant's `i`-th publish: ids that never repeat, a delay and a ttl beyond the run. */
function optionsOf(variant: PublishVariant, round: number, i: number): PublishOptions {
  const id = { deduplicationId: `r${round}-${i}` };
  const delay = { delay: 3_000_000 };
  const variants: Record<PublishVariant, PublishOptions> = {
    plain: {},
    deduplicationId: id,
    delay,
    ttl: { ttl: 3_000_000 },
    'deduplicationId + delay': { ...id, ...delay },
  };
  return variants[variant];
}

/** Redis's own CPU time so far, in microseconds. */
async function redisCpuUs(admin: Redis | undefined): Promise<number> {
  if (!admin) {
    return 0;
  }
  const info = await admin.info('cpu');
  const seconds = ['used_cpu_sys', 'used_cpu_user'].map((name) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)![1]));
  return (seconds[0] + seconds[1]) * 1e6;
}

/**
 * What `operations` of each variant cost on a store, measured by `run` (which does its unmeasured part, then calls
 * `measure` with the work to measure), the variants in turn (rotated each round), the median of `rounds`.
 */
async function variantCosts<V extends string>(
  store: Store,
  variants: V[],
  rounds: number,
  admin: Redis | undefined,
  run: (variant: V, round: number, measure: (operations: number, work: () => Promise<void>) => Promise<void>) => Promise<void>,
): Promise<VariantCost<V>[]> {
  const measured = new Map<V, { appUs: number[]; redisUs: number[] }>(variants.map((variant) => [variant, { appUs: [], redisUs: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (let turn = 0; turn < variants.length; turn++) {
      const variant = variants[(turn + round) % variants.length];
      await run(variant, round, async (operations, work) => {
        const [appBefore, redisBefore] = [process.cpuUsage(), await redisCpuUs(admin)];
        await work();
        const app = process.cpuUsage(appBefore);
        const redisUs = (await redisCpuUs(admin)) - redisBefore;
        measured.get(variant)!.appUs.push((app.user + app.system) / operations);
        measured.get(variant)!.redisUs.push(redisUs / operations);
      });
    }
  }
  const figures = variants.map((variant) => ({ variant, appUs: median(measured.get(variant)!.appUs), redisUs: median(measured.get(variant)!.redisUs) }));
  const plain = figures[0].appUs + figures[0].redisUs;
  return figures.map((figure) => ({ store, ...figure, relative: (figure.appUs + figure.redisUs) / plain }));
}

/**
 * The cost of a publish with each option beside a plain one, on each store: `publishes` of each variant per round, from
 * `concurrency` publishers over 100 endpoints, the variants in turn (rotated each round), the median of the rounds.
 */
export function publishCosts(redisUrl: string, admin: Redis, plan: PublishPlan): Promise<PublishCost[]> {
  return onEachStore(redisUrl, admin, plan.publishes * plan.rounds, (store, { service }, storeAdmin) =>
    variantCosts(store, VARIANTS, plan.rounds, storeAdmin, (variant, round, measure) => {
      let next = 0;
      const publisher = async () => {
        while (next < plan.publishes) {
          const i = next++;
          await service.publish(`e${i % 100}`, `message ${i}`, optionsOf(variant, round, i));
        }
      };
      return measure(plan.publishes, async () => void (await Promise.all(Array.from({ length: plan.concurrency }, publisher))));
    }),
  );
}

/**
 * The cost of a receive of a message published with a `ttl` beside one without, on each store: `messages` queued on one
 * endpoint (unmeasured), then received one by one by a single consumer (a poll's own take, no waiter), the variants
 * in turn (rotated each round), the median of the rounds.
 */
export function takeCosts(redisUrl: string, admin: Redis, plan: TakePlan): Promise<TakeCost[]> {
  return onEachStore(redisUrl, admin, plan.messages, (store, { service, queue }, storeAdmin) =>
    variantCosts(store, TAKE_VARIANTS, plan.rounds, storeAdmin, async (variant, _, measure) => {
      for (let i = 0; i < plan.messages; i++) {
        await service.publish('backlog', `message ${i}`, variant === 'ttl' ? { ttl: 3_000_000 } : {});
      }
      await measure(plan.messages, async () => {
        for (let received = 0; received < plan.messages; ) {
          received += (await queue.receiveDeliveries('backlog', { timeout: 1_000 })).length;
        }
      });
    }),
  );
}

/**
 * `messages` delayed messages over `endpoints` queues, all due at one moment (each published with the delay left until
 * then), received by `consumers` loops that each wait on every queue and take batches of 100, in code, on each store.
 */
export function dueAtOnce(redisUrl: string, admin: Redis, plan: DuePlan): Promise<DueAtOnce[]> {
  return onEachStore(redisUrl, admin, plan.messages, async (store, { service, queue }) => {
    // Time enough to publish them all first, at a pessimistic 2,000 publishes a second.
    const dueAt = Date.now() + 2_000 + (plan.messages / 2_000) * 1_000;
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < plan.messages) {
          const i = next++;
          await service.publish(`due-${i % plan.endpoints}`, `message ${i}`, { delay: Math.max(dueAt - Date.now(), 1) });
        }
      }),
    );
    const publishSeconds = (performance.now() - started) / 1_000;
    if (Date.now() >= dueAt) {
      throw new Error(`publishing ${plan.messages} delayed messages took ${publishSeconds} s, past their due time`);
    }
    const endpoints = Array.from({ length: plan.endpoints }, (_, i) => `due-${i}`);
    let received = 0;
    let last = 0;
    await Promise.all(
      Array.from({ length: plan.consumers }, async () => {
        while (received < plan.messages) {
          const deliveries = await queue.receiveAny(endpoints, { timeout: 1_000, max: 100 });
          received += deliveries.length;
          if (deliveries.length > 0) {
            last = Date.now();
          }
        }
      }),
    );
    return [{ store, messages: plan.messages, publishSeconds, drainSeconds: (last - dueAt) / 1_000 }];
  });
}
