import { Redis } from 'ioredis';
import { BenchApp } from '../bench-app.process.js';
import { LatencyHistogram, Percentiles } from '../latency-histogram.js';
import { poll } from '../poll.js';
import { arrivalsOf, blockedClients, clientCount, endpointsListenedTo, Masters, memoryOf, moduleConnections, perPoll, until } from '../waiting-polls.js';

export interface IdleScale {
  waiting: number;
  /** Why the design could not hold them, when it could not (the figures are then null). */
  broke?: string;
  /** Polls refused or failed before any message was published: where the design breaks. */
  failed: number;
  redisConnections: number;
  heapPerPollBytes: number;
  rssPerPollBytes: number;
  wakeUp: Percentiles;
}

/**
 * `waiting` polls on as many endpoints, each on a connection of its own: the Redis connections the app holds, its
 * memory per waiting poll (after GC), the polls it could not hold, then the wake-up latency of 1,000 of them.
 */
export type IdleRoute = 'messages' | 'naive' | 'bare';

/** `masters`: the Redis the app runs on, or a Cluster's masters (the naive and bare routes: one Redis only). */
export async function idleScale(app: BenchApp, masters: Masters, route: IdleRoute, waiting: number): Promise<IdleScale> {
  const redis = [masters].flat()[0];
  const clientsBefore = await clientCount(redis);
  const memoryBefore = await memoryOf(app);
  const arrivedBefore = await arrivalsOf(app);
  let refused = 0;
  const polls = Array.from({ length: waiting }, (_, i) =>
    poll(`${app.url}/${route}/e${i}`).then(
      (answer) => ((refused += answer.status === 200 ? 0 : 1), answer),
      () => ((refused += 1), { status: 0, body: '', receivedAt: 0 }),
    ),
  );
  const arrived = async () => (await arrivalsOf(app)) - arrivedBefore;
  await until(async () => (await arrived()) + refused >= waiting);
  // Measured once Redis can serve them all: a blocking read per poll for the naive design, each endpoint listened to
  // for the module.
  if (route === 'messages') {
    await until(async () => (await endpointsListenedTo(masters, 'bench')) >= (await arrived()) - refused);
  } else {
    await until(async () => (await blockedClients(redis)) >= ({ naive: (await arrived()) - refused, bare: 0 })[route]);
  }
  const memory = await memoryOf(app);
  // The module's connections were opened with the app, before this count started.
  const redisConnections = route === 'messages' ? await moduleConnections(masters) : (await clientCount(redis)) - clientsBefore;
  const failed = refused + waiting - (await arrived());

  // 1,000 of them, spread over the range, get a message each, 10 every 10 ms: the wake-up of idle polls, not a burst.
  const woken = Array.from({ length: Math.min(1_000, waiting) }, (_, i) => Math.floor((i * waiting) / Math.min(1_000, waiting)));
  const histogram = new LatencyHistogram();
  if (route === 'bare') {
    return { waiting, failed, redisConnections, ...perPoll(memoryBefore, memory, waiting), wakeUp: histogram.percentiles() };
  }
  const answers = woken.map((i) =>
    polls[i].then((answer) => answer.status === 200 && histogram.record(answer.receivedAt - Number(answer.body))),
  );
  for (let first = 0; first < woken.length; first += 10) {
    await app.call('POST', '/bench/publish', woken.slice(first, first + 10).map((i) => `e${i}`));
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await Promise.race([Promise.all(answers), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  return { waiting, failed, redisConnections, ...perPoll(memoryBefore, memory, waiting), wakeUp: histogram.percentiles() };
}
