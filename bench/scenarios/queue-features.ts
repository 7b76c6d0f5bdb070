import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { getPistachioQueueToken, getPistachioToken, PistachioModule, PistachioQueue, PistachioService, PublishOptions } from '../../lib/index.js';

export type Store = 'memory' | 'redis';
export type PublishVariant = 'plain' | 'deduplicationId' | 'delay' | 'ttl' | 'deduplicationId + delay';
const VARIANTS: PublishVariant[] = ['plain', 'deduplicationId', 'delay', 'ttl', 'deduplicationId + delay'];

/** What one kind of publish cost, per publish: the app's CPU and Redis's, and how that compares with a plain one. */
export interface PublishCost {
  store: Store;
  variant: PublishVariant;
  appUs: number;
  redisUs: number;
  /** (app + Redis) of this variant over that of a plain publish, in the same run. */
  relative: number;
}

/** What one receive cost a consumer working through a backlog, of messages published with a variant's options. */
export interface TakeCost {
  store: Store;
  variant: TakeVariant;
  appUs: number;
  redisUs: number;
  /** (app + Redis) of this variant over that of plain messages, in the same run. */
  relative: number;
}

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
 * The cost of a publish with each option beside a plain one, on each store: `publishes` of each variant per round, from
 * `concurrency` publishers over 100 endpoints, the variants in turn (rotated each round), the median of the rounds.
 */
export async function publishCosts(redisUrl: string, admin: Redis, plan: PublishPlan): Promise<PublishCost[]> {
  const costs: PublishCost[] = [];
  for (const store of ['memory', 'redis'] as Store[]) {
    const { app, service } = await queues(store === 'redis' ? redisUrl : undefined, plan.publishes * plan.rounds);
    const storeAdmin = store === 'redis' ? admin : undefined;
    const measured = new Map<PublishVariant, { appUs: number[]; redisUs: number[] }>(VARIANTS.map((variant) => [variant, { appUs: [], redisUs: [] }]));
    try {
      for (let round = 0; round < plan.rounds; round++) {
        for (let turn = 0; turn < VARIANTS.length; turn++) {
          const variant = VARIANTS[(turn + round) % VARIANTS.length];
          const [appBefore, redisBefore] = [process.cpuUsage(), await redisCpuUs(storeAdmin)];
          let next = 0;
          await Promise.all(
            Array.from({ length: plan.concurrency }, async () => {
              while (next < plan.publishes) {
                const i = next++;
                await service.publish(`e${i % 100}`, `message ${i}`, optionsOf(variant, round, i));
              }
            }),
          );
          const app = process.cpuUsage(appBefore);
          const redisUs = (await redisCpuUs(storeAdmin)) - redisBefore;
          measured.get(variant)!.appUs.push((app.user + app.system) / plan.publishes);
          measured.get(variant)!.redisUs.push(redisUs / plan.publishes);
        }
      }
    } finally {
      await app.close();
      await storeAdmin?.flushall();
    }
    const figures = VARIANTS.map((variant) => ({ variant, appUs: median(measured.get(variant)!.appUs), redisUs: median(measured.get(variant)!.redisUs) }));
    const plain = figures[0].appUs + figures[0].redisUs;
    costs.push(...figures.map((figure) => ({ store, ...figure, relative: (figure.appUs + figure.redisUs) / plain })));
  }
  return costs;
}

/**
 * The cost of a receive of a message published with a `ttl` beside one without, on each store: `messages` queued on one
 * endpoint (unmeasured), then received one by one by a single consumer (a poll's own take, no waiter), the variants
 * in turn (rotated each round), the median of the rounds.
 */
export async function takeCosts(redisUrl: string, admin: Redis, plan: TakePlan): Promise<TakeCost[]> {
  const costs: TakeCost[] = [];
  for (const store of ['memory', 'redis'] as Store[]) {
    const { app, service, queue } = await queues(store === 'redis' ? redisUrl : undefined, plan.messages);
    const storeAdmin = store === 'redis' ? admin : undefined;
    const measured = new Map<TakeVariant, { appUs: number[]; redisUs: number[] }>(TAKE_VARIANTS.map((variant) => [variant, { appUs: [], redisUs: [] }]));
    try {
      for (let round = 0; round < plan.rounds; round++) {
        for (let turn = 0; turn < TAKE_VARIANTS.length; turn++) {
          const variant = TAKE_VARIANTS[(turn + round) % TAKE_VARIANTS.length];
          for (let i = 0; i < plan.messages; i++) {
            await service.publish('backlog', `message ${i}`, variant === 'ttl' ? { ttl: 3_000_000 } : {});
          }
          const [appBefore, redisBefore] = [process.cpuUsage(), await redisCpuUs(storeAdmin)];
          for (let received = 0; received < plan.messages; ) {
            received += (await queue.receiveDeliveries('backlog', { timeout: 1_000 })).length;
          }
          const app = process.cpuUsage(appBefore);
          const redisUs = (await redisCpuUs(storeAdmin)) - redisBefore;
          measured.get(variant)!.appUs.push((app.user + app.system) / plan.messages);
          measured.get(variant)!.redisUs.push(redisUs / plan.messages);
        }
      }
    } finally {
      await app.close();
      await storeAdmin?.flushall();
    }
    const figures = TAKE_VARIANTS.map((variant) => ({ variant, appUs: median(measured.get(variant)!.appUs), redisUs: median(measured.get(variant)!.redisUs) }));
    const plain = figures[0].appUs + figures[0].redisUs;
    costs.push(...figures.map((figure) => ({ store, ...figure, relative: (figure.appUs + figure.redisUs) / plain })));
  }
  return costs;
}

/**
 * `messages` delayed messages over `endpoints` queues, all due at one moment (each published with the delay left until
 * then), received by `consumers` loops that each wait on every queue and take batches of 100, in code, on each store.
 */
export async function dueAtOnce(redisUrl: string, admin: Redis, plan: DuePlan): Promise<DueAtOnce[]> {
  const results: DueAtOnce[] = [];
  for (const store of ['memory', 'redis'] as Store[]) {
    const { app, service, queue } = await queues(store === 'redis' ? redisUrl : undefined, plan.messages);
    try {
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
      results.push({ store, messages: plan.messages, publishSeconds, drainSeconds: (last - dueAt) / 1_000 });
    } finally {
      await app.close();
      await admin.flushall();
    }
  }
  return results;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
