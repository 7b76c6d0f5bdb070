import type { Redis } from 'ioredis';
import { BenchApp } from '../bench-app.process.js';
import { LatencyHistogram, Percentiles } from '../latency-histogram.js';
import { poll, Poll } from '../poll.js';
import { allWaiting, arrivalsOf, moduleConnections, deadline, Design, memoryOf, openInGroups, perPoll, registrations, until } from '../waiting-polls.js';

export interface Fanout {
  design: Design;
  /** Clients that were to wait, each on a connection of its own. */
  clients: number;
  /** Of them, those waiting in the app when the message was published. */
  waiting: number;
  /** Answered 200 with the message. */
  answered: number;
  /** The registration's Redis connections while they all wait (0 on the memory broker). */
  redisConnections: number;
  heapPerPollBytes: number;
  rssPerPollBytes: number;
  /** Milliseconds from the publish to the first answer. */
  first: number;
  /** From the publish to each answer; `max` is the time until the last answer. */
  answers: Percentiles;
}

/** How long the answers may take before the clients still unanswered are counted out. */
const ANSWER_DEADLINE = 30_000;

/**
 * `clients` clients wait, each on a connection of its own: on one channel (`channel`: one publish wakes them all), or
 * each on a queue of its own (`queues`: one publish per client, the queue mode's way to reach all of them). Once all
 * wait (on Redis: subscribed, or a blocking read armed), one timestamp is published; each answer's delay from it is
 * recorded, as received by this process (which reads the answers one after another), with the Redis connections the
 * registration holds and the app's memory per waiting client.
 */
export async function fanout(app: BenchApp, redis: Redis, design: Design, clients: number): Promise<Fanout> {
  const { path, namespace } = registrations[design];
  const memoryBefore = await memoryOf(app);
  const arrivedBefore = await arrivalsOf(app);
  const answers: Promise<Poll | undefined>[] = [];
  await openInGroups(
    clients,
    (i) => answers.push(poll(`${app.url}/${path}/${design === 'channel' ? 'fan' : `e${i}`}`).catch(() => undefined)),
    async () => (await arrivalsOf(app)) - arrivedBefore,
  );
  await until(() => allWaiting(app, redis, design, clients, ['fan']));
  const waiting = await app.call<number>('GET', `/bench/waiting?design=${design}`);
  const memory = await memoryOf(app);
  const redisConnections = await moduleConnections(redis);

  const histogram = new LatencyHistogram();
  let first = Infinity;
  const recorded = answers.map((answering) =>
    answering.then((answer) => {
      if (answer?.status === 200) {
        const delay = answer.receivedAt - Number(answer.body);
        histogram.record(delay);
        first = Math.min(first, delay);
      }
    }),
  );
  await app.call('POST', `/bench/fanout?design=${design}&count=${clients}`);
  await Promise.race([Promise.all(recorded), deadline(ANSWER_DEADLINE)]);
  const percentiles = histogram.percentiles();
  return {
    design,
    clients,
    waiting,
    answered: percentiles.count,
    redisConnections,
    ...perPoll(memoryBefore, memory, clients),
    first: percentiles.count > 0 ? first : NaN,
    answers: percentiles,
  };
}
