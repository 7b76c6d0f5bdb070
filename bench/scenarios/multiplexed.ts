import { Agent } from 'node:http';
import type { BenchApp } from '../bench-app.process.js';
import { assertUnsurprised, LoopingPoller } from '../looping-poller.js';
import { poll } from '../poll.js';
import { until } from '../waiting-polls.js';

/** Pages that each listen to `subscriptions` queues of their own, fed at `rate` for `seconds`. */
export interface PagePlan {
  pages: number;
  subscriptions: number;
  rate: number;
  seconds: number;
}

/** What one way of listening cost: a poll per subscription, or one multiplexed poll per page. */
export interface PageCost {
  design: 'single polls' | 'multiplexed';
  pages: number;
  subscriptions: number;
  /** Connections the clients held: one per poll waiting at a time. */
  connections: number;
  delivered: number;
  /** Requests the clients made while the messages came, per message delivered. */
  requestsPerMessage: number;
  /** The app's CPU time (user and system) per message delivered, in microseconds. */
  cpuPerMessageUs: number;
}

/**
 * A page with several subscriptions, as `pages` clients: each page either polls each of its queues on a connection of
 * its own (`single polls`), or waits on all of them in one multiplexed poll. The app publishes round-robin over every
 * queue at `rate`; counted from the first publish until every message has arrived.
 */
export async function pageCost(app: BenchApp, plan: PagePlan, design: PageCost['design']): Promise<PageCost> {
  const { pages, subscriptions, rate, seconds } = plan;
  const endpoints = pages * subscriptions;
  const queuesOf = (page: number) => Array.from({ length: subscriptions }, (_, i) => `e${page * subscriptions + i}`);
  const lists =
    design === 'multiplexed'
      ? Array.from({ length: pages }, (_, page) => queuesOf(page).join(','))
      : Array.from({ length: endpoints }, (_, i) => `e${i}`);
  const pollers = lists.map((list) => new LoopingPoller(`${app.url}/messages/${list}?timeout=5000`, { delivery: 'at-most-once' }));
  const agent = new Agent({ keepAlive: true, maxSockets: pollers.length });
  let polling = true;
  let requests = 0;
  const looping = pollers.map(async (poller) => {
    while (polling) {
      const answer = await poll(poller.next(), agent);
      requests++;
      poller.answered(answer.status, answer.headers, answer.body);
    }
  });
  const delivered = () => pollers.reduce((sum, poller) => sum + poller.messages, 0);
  try {
    await until(async () => (await app.call<number>('GET', '/bench/waiting?design=queues')) >= endpoints);
    const [cpuBefore, requestsBefore] = [await app.call<number>('GET', '/bench/cpu'), requests];
    const { sent } = await app.call<{ sent: number }>('POST', `/bench/rate?rate=${rate}&endpoints=${endpoints}&seconds=${seconds}`);
    await until(async () => delivered() >= sent, 30_000);
    const cpu = (await app.call<number>('GET', '/bench/cpu')) - cpuBefore;
    const count = delivered();
    return {
      design,
      pages,
      subscriptions,
      connections: pollers.length,
      delivered: count,
      requestsPerMessage: round((requests - requestsBefore) / count),
      cpuPerMessageUs: round(cpu / count),
    };
  } finally {
    polling = false;
    await Promise.all(looping);
    agent.destroy();
    assertUnsurprised(pollers);
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
