import { Redis } from 'ioredis';
import { BenchApp } from '../bench-app.process.js';
import { LatencyHistogram, Percentiles } from '../latency-histogram.js';
import { poll, Poll } from '../poll.js';

export interface IdleScale {
  waiting: number;
  /** Polls refused or failed before any message was published: where the design breaks. */
  failed: number;
  redisConnections: number;
  heapPerPollBytes: number;
  rssPerPollBytes: number;
  wakeUp: Percentiles;
}

/**
 * `waiting` polls on as many endpoints, each on a connection of its own: the Redis connections the app holds, its
 * memory per waiting poll (after GC), then the wake-up latency when 1,000 random ones of them get a message.
 */
export async function idleScale(app: BenchApp, redis: Redis, route: 'messages' | 'naive', waiting: number): Promise<IdleScale> {
  const clientsBefore = await clientCount(redis);
  const memoryBefore = await app.call<{ heapUsed: number; rss: number }>('GET', '/bench/memory');
  const arrivedBefore = await app.call<number>('GET', '/bench/arrivals');
  const failures: Poll[] = [];
  const polls = Array.from({ length: waiting }, (_, i) =>
    poll(`${app.url}/${route}/e${i}`).then((answer) => {
      if (answer.status !== 200) failures.push(answer);
      return answer;
    }, () => ({ status: 0, body: '', receivedAt: 0 })),
  );
  await until(async () => (await app.call<number>('GET', '/bench/arrivals')) - arrivedBefore >= waiting);
  // Measured once the blocking reads are in Redis: one per poll for the naive design, the pool's for the module.
  await until(async () => (await blockedClients(redis)) >= (route === 'naive' ? waiting - failures.length : 1));
  const memory = await app.call<{ heapUsed: number; rss: number }>('GET', '/bench/memory');
  const redisConnections = (await clientCount(redis)) - clientsBefore + (route === 'messages' ? 5 : 0);
  const failed = failures.length;

  const woken = Array.from({ length: Math.min(1_000, waiting) }, (_, i) => Math.floor((i * waiting) / Math.min(1_000, waiting)));
  await app.call('POST', '/bench/publish', woken.map((i) => `e${i}`));
  const histogram = new LatencyHistogram();
  for (const i of woken) {
    const answer = await polls[i];
    if (answer.status === 200) histogram.record(answer.receivedAt - Number(answer.body));
  }
  return {
    waiting,
    failed,
    redisConnections,
    heapPerPollBytes: Math.round((memory.heapUsed - memoryBefore.heapUsed) / waiting),
    rssPerPollBytes: Math.round((memory.rss - memoryBefore.rss) / waiting),
    wakeUp: histogram.percentiles(),
  };
}

async function blockedClients(redis: Redis): Promise<number> {
  return Number(/blocked_clients:(\d+)/.exec(await redis.info('clients'))?.[1]);
}

async function until(condition: () => Promise<boolean>, deadline = 60_000): Promise<void> {
  const giveUp = Date.now() + deadline;
  while (!(await condition())) {
    if (Date.now() > giveUp) throw new Error(`idle scale: not reached within ${deadline} ms: ${condition}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function clientCount(redis: Redis): Promise<number> {
  const list = (await redis.client('LIST')) as string;
  return list.trim().split('\n').length;
}
