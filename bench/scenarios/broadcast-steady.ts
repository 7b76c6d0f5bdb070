import type { Redis } from 'ioredis';
import { Agent } from 'node:http';
import { pollUrl } from '../../lib/client/poll-target.js';
import { BenchApp } from '../bench-app.process.js';
import { LatencyHistogram, Percentiles } from '../latency-histogram.js';
import { poll } from '../poll.js';
import { allWaiting, arrivalsOf, moduleConnections, deadline, Design, memoryOf, openInGroups, registrations, until } from '../waiting-polls.js';

export interface SteadyPlan {
  channels: number;
  subscribersPerChannel: number;
  /** Messages published per second to the channels, round-robin; the queues get `subscribersPerChannel` times as many. */
  rate: number;
  /** Seconds of publishing measured, after `warmup` seconds of publishing whose latency, rate and CPU are not recorded. */
  seconds: number;
  warmup: number;
  /** Seconds during which the clients wait and nothing is published, before the run: what waiting costs. */
  idle: number;
  /** How long the clients may take after the last publish to receive what they have not received yet. */
  grace: number;
}

export interface Steady {
  design: Design;
  /** Looping clients: `channels × subscribersPerChannel`, each on a channel, or each on a queue of its own. */
  clients: number;
  /** Endpoints published to: the channels, or a queue per client. */
  endpoints: number;
  /** Messages published, warm-up included. */
  published: number;
  /** Messages published per second, as the app kept the pace. */
  publishRate: number;
  /** Messages the clients were to receive in the run, warm-up included: every subscriber of a channel gets each one. */
  expected: number;
  /** Messages the clients received, warm-up included. */
  delivered: number;
  /** Received per second after the warm-up, from its end to the last answer. */
  deliveredPerSecond: number;
  /** Publish → receive of the messages published after the warm-up, from the timestamp in each. */
  latency: Percentiles;
  /** Messages a client never got although it got a later one of its endpoint: lost. */
  missing: number;
  /** Messages not received when the run ended (the last publish and the grace after it). */
  late: number;
  /** Messages a client got twice, or after a later one. */
  duplicates: number;
  /** Answers that said that messages after the cursor were no longer retained (`Pistachio-Gap`). */
  gaps: number;
  /** Polls that failed or were answered other than 200 or 504. */
  errors: number;
  /** The app's CPU time per message delivered after the warm-up, its publishing included, in microseconds. */
  appCpuPerDeliveryMicros: number;
  /** While all the clients waited and nothing was published: the app's CPU milliseconds per second, Redis's commands per second. */
  idle: { appCpuMillisPerSecond: number; redisCommandsPerSecond: number };
  /** The registration's Redis connections at the end of the run (0 on the memory broker). */
  redisConnections: number;
}

/** What a subscriber got of its endpoint's numbered messages: in order, or with some missing or twice. */
export class SequenceCheck {
  next = 0;
  missing = 0;
  duplicates = 0;

  constructor(readonly expected: number) {}

  /** Records the message numbered `sequence` of its endpoint. */
  received(sequence: number): void {
    if (sequence < this.next) {
      this.duplicates++;
      return;
    }
    this.missing += sequence - this.next;
    this.next = sequence + 1;
  }
}

/** One looping client: where it polls, the cursor it resumes after, and what it got. */
class Client extends SequenceCheck {
  after: string | undefined;

  constructor(
    readonly url: string,
    expected: number,
  ) {
    super(expected);
  }
}

/**
 * `channels × subscribersPerChannel` clients, each on a keep-alive connection, loop like the reference client: the
 * first poll without a cursor once all of them are to wait, each next one after the id of the last message received
 * (`?after=`). Once all wait, the app's CPU and Redis's commands are read over `idle` seconds; then, after a GC, the
 * app publishes `<timestamp> <sequence>` round-robin over the channels at `rate` for `warmup + seconds`, and every
 * client must receive every message of its channel in order. The first seconds after 10,000 connections came in run
 * slow (tens to hundreds of milliseconds, in memory too), hence a warm-up that latency, rate and CPU leave out. With
 * `queues`, as many clients each poll a queue of their own, and the app publishes `subscribersPerChannel` times as
 * many messages round-robin over them: the same messages per client and per second, each published once per client.
 */
export async function steady(app: BenchApp, redis: Redis, design: Design, plan: SteadyPlan): Promise<Steady> {
  const { path, namespace } = registrations[design];
  const clientCount = plan.channels * plan.subscribersPerChannel;
  const endpoints = design === 'channel' ? plan.channels : clientCount;
  const rate = design === 'channel' ? plan.rate : plan.rate * plan.subscribersPerChannel;
  const published = Math.round(rate * (plan.warmup + plan.seconds));
  // Round-robin: endpoint j gets the messages k ≡ j (mod endpoints).
  const expectedOf = (j: number) => Math.floor(published / endpoints) + (j < published % endpoints ? 1 : 0);
  const endpointOf = (i: number) => (design === 'channel' ? `c${i % endpoints}` : `e${i}`);
  const clients = Array.from({ length: clientCount }, (_, i) => new Client(`${app.url}/${path}/${endpointOf(i)}`, expectedOf(i % endpoints)));

  const agent = new Agent({ keepAlive: true, maxSockets: clientCount, maxFreeSockets: clientCount });
  const histogram = new LatencyHistogram();
  let stopped = false;
  let gaps = 0;
  let errors = 0;
  let lastAnswer = 0;
  let delivered = 0;
  /** When the warm-up ends, in the clock of the app's timestamps. */
  let measuredFrom = Infinity;
  const loop = async (client: Client) => {
    while (!stopped && client.next < client.expected) {
      const answer = await poll(pollUrl(client.url, undefined, [], client.after), agent).catch(() => undefined);
      if (stopped) {
        return;
      }
      if (answer?.status === 200) {
        const [publishedAt, sequence] = answer.body.split(' ').map(Number);
        delivered++;
        if (publishedAt >= measuredFrom) {
          histogram.record(answer.receivedAt - publishedAt);
        }
        lastAnswer = Math.max(lastAnswer, answer.receivedAt);
        client.received(sequence);
        client.after = (answer.headers['pistachio-id'] as string | undefined) ?? client.after;
        gaps += answer.headers['pistachio-gap'] === undefined ? 0 : 1;
      } else if (answer?.status !== 504) {
        errors++;
        // A refusal or a network failure: retry soon, as the client would, without spinning.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const arrivedBefore = await arrivalsOf(app);
  const looping: Promise<void>[] = [];
  await openInGroups(
    clientCount,
    (i) => looping.push(loop(clients[i])),
    async () => (await arrivalsOf(app)) - arrivedBefore,
  );
  const names = Array.from({ length: endpoints }, (_, j) => (design === 'channel' ? `c${j}` : `e${j}`));
  if (!(await until(() => allWaiting(app, redis, design, clientCount, names)))) {
    const waiting = await app.call<number>('GET', `/bench/waiting?design=${design}`);
    throw new Error(`only ${waiting} of ${clientCount} clients were waiting after 30 s`);
  }

  const idle = await idleCost(app, redis, plan.idle);

  await memoryOf(app);
  measuredFrom = performance.timeOrigin + performance.now() + plan.warmup * 1_000;
  const warmedUp = new Promise<number>((resolve) => setTimeout(resolve, plan.warmup * 1_000)).then(() =>
    app.call<number>('GET', '/bench/cpu'),
  );
  const run = await app.call<{ sent: number; seconds: number }>(
    'POST',
    `/bench/steady?design=${design}&endpoints=${endpoints}&rate=${rate}&seconds=${plan.warmup + plan.seconds}`,
  );
  if (run.sent !== published) {
    throw new Error(`the app published ${run.sent} messages, not the ${published} the clients expect`);
  }
  await Promise.race([Promise.all(looping), deadline(plan.grace)]);
  const cpu = (await app.call<number>('GET', '/bench/cpu')) - (await warmedUp);
  stopped = true;
  // Ends the polls of clients still waiting for messages that did not come.
  agent.destroy();
  await Promise.all(looping);

  const latency = histogram.percentiles();
  const sum = (of: (client: Client) => number) => clients.reduce((total, client) => total + of(client), 0);
  return {
    design,
    clients: clientCount,
    endpoints,
    published,
    publishRate: published / run.seconds,
    expected: sum((client) => client.expected),
    delivered,
    deliveredPerSecond: latency.count / ((lastAnswer - measuredFrom) / 1_000),
    latency,
    missing: sum((client) => client.missing),
    late: sum((client) => Math.max(0, client.expected - client.next)),
    duplicates: sum((client) => client.duplicates),
    gaps,
    errors,
    appCpuPerDeliveryMicros: cpu / latency.count,
    idle,
    redisConnections: await moduleConnections(redis),
  };
}

/** The app's CPU and Redis's commands per second over `seconds` in which nothing is published. */
async function idleCost(app: BenchApp, redis: Redis, seconds: number): Promise<Steady['idle']> {
  const commands = async () => Number(/total_commands_processed:(\d+)/.exec(await redis.info('stats'))?.[1]);
  const [cpuBefore, commandsBefore] = [await app.call<number>('GET', '/bench/cpu'), await commands()];
  await new Promise((resolve) => setTimeout(resolve, seconds * 1_000));
  const [cpu, commandsAfter] = [(await app.call<number>('GET', '/bench/cpu')) - cpuBefore, await commands()];
  // Less this function's own INFO.
  return { appCpuMillisPerSecond: cpu / 1_000 / seconds, redisCommandsPerSecond: (commandsAfter - commandsBefore - 1) / seconds };
}
