import { EventStreamClient, ReceivedEvent } from '../../test/support/event-stream-client.js';
import { atRate, now } from '../at-rate.js';
import { BenchApp } from '../bench-app.process.js';
import { LatencyHistogram, Percentiles } from '../latency-histogram.js';
import { NchanServer } from '../peer/nchan.js';
import { cpuMicrosOf, rssOf } from '../peer/proc.js';
import { deadline, memoryOf, openInGroups, until } from '../waiting-polls.js';
import { SequenceCheck, Steady, SteadyPlan } from './broadcast-steady.js';

/** A server of event streams as the scenarios drive it: the bench app's broadcast channels, or Nchan's EventSource. */
export interface StreamServer {
  name: 'ours' | 'nchan';
  /** Where a stream of `channel` opens. */
  url(channel: string): string;
  /** Publishes one timestamp to the channel `fan`. */
  fanout(): Promise<void>;
  /** Publishes `<timestamp> <sequence>` round-robin over c0 … c(channels-1) at `rate` per second for `seconds`. */
  steady(channels: number, rate: number, seconds: number): Promise<{ sent: number; seconds: number }>;
  /** Streams the server holds open now. */
  open(): Promise<number>;
  /** Its CPU time so far (µs). */
  cpuMicros(): Promise<number>;
  /** Its resident memory (bytes), after a GC where it has one. */
  rssBytes(): Promise<number>;
}

/** The bench app's channels (`/channels/<channel>`): it publishes itself, as in the poll scenarios beside. */
export function oursStreaming(app: BenchApp): StreamServer {
  return {
    name: 'ours',
    url: (channel) => `${app.url}/channels/${channel}`,
    fanout: () => app.call('POST', '/bench/fanout?design=channel&count=1'),
    steady: (channels, rate, seconds) => app.call('POST', `/bench/steady?design=channel&endpoints=${channels}&rate=${rate}&seconds=${seconds}`),
    open: () => app.call<number>('GET', '/bench/waiting?design=channel'),
    cpuMicros: () => app.call<number>('GET', '/bench/cpu'),
    rssBytes: async () => (await memoryOf(app)).rss,
  };
}

/** Nchan's EventSource location (`/ev/<channel>`), published to over HTTP (`POST /pub?id=`) by this process. */
export function nchanStreaming(server: NchanServer): StreamServer {
  const base = `http://127.0.0.1:${server.port}`;
  const publish = (channel: string, message: string) => fetch(`${base}/pub?id=${channel}`, { method: 'POST', body: message }).then((response) => void response.arrayBuffer());
  return {
    name: 'nchan',
    url: (channel) => `${base}/ev/${channel}`,
    fanout: () => publish('fan', String(now())),
    steady: (channels, rate, seconds) => atRate(rate, seconds, (k) => void publish(`c${k % channels}`, `${now()} ${Math.floor(k / channels)}`)),
    open: () => server.subscribers(),
    cpuMicros: async () => cpuMicrosOf(server.workers()),
    rssBytes: async () => rssOf(server.workers()),
  };
}

export interface StreamFanout {
  server: StreamServer['name'];
  /** Streams opened (answered 200), each on a connection of its own. */
  streams: number;
  /** Of them, those that got the message. */
  received: number;
  /** Seconds from the first stream asked for to all of them open in the server. */
  openSeconds: number;
  /** What each open stream added to the server's resident memory. */
  rssPerStreamBytes: number;
  /** Milliseconds from the publish to each event; `max` is the time until the last stream had it. */
  delivery: Percentiles;
}

/** How long the events may take before the streams still without one are counted out. */
const EVENT_DEADLINE = 30_000;

/**
 * `count` streams of one channel, opened in groups (each once the last has its answer's headers); once the server holds
 * them all, one timestamp is published, and each event's delay from it is recorded as this process reads it.
 */
export async function streamFanout(server: StreamServer, count: number): Promise<StreamFanout> {
  const rssBefore = await server.rssBytes();
  const histogram = new LatencyHistogram();
  let received = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));
  const started = performance.now();
  const { clients, opened } = await openStreams(server, count, () => 'fan', ({ data }) => {
    histogram.record(now() - Number(data));
    if (++received === count) {
      resolveAll();
    }
  });
  await until(async () => (await server.open()) >= opened);
  const openSeconds = (performance.now() - started) / 1_000;
  const rss = await server.rssBytes();
  await server.fanout();
  await Promise.race([all, deadline(EVENT_DEADLINE)]);
  clients.forEach((client) => client.close());
  const delivery = histogram.percentiles();
  return {
    server: server.name,
    streams: opened,
    received: delivery.count,
    openSeconds,
    rssPerStreamBytes: Math.round((rss - rssBefore) / Math.max(opened, 1)),
    delivery,
  };
}

/** The steady run's figures on streams, as the poll run's beside them (see Steady), with the server's CPU and memory. */
export interface StreamSteady
  extends Pick<Steady, 'published' | 'publishRate' | 'expected' | 'delivered' | 'deliveredPerSecond' | 'latency' | 'missing' | 'duplicates' | 'late'> {
  server: StreamServer['name'];
  /** Streams: `channels × subscribersPerChannel`, each of one channel. */
  streams: number;
  /** The server's CPU per event after the warm-up, its publishing included, in microseconds. */
  cpuPerEventMicros: number;
  /** What each open stream added to the server's resident memory, measured before publishing. */
  rssPerStreamBytes: number;
}

/**
 * The broadcast steady run of the poll scenarios, on streams: `channels × subscribersPerChannel` streams, each of one
 * channel (c0 …), then `<timestamp> <sequence>` published round-robin over the channels at `rate` for `warmup +
 * seconds`; every stream must get every message of its channel, in order.
 */
export async function streamSteady(server: StreamServer, plan: SteadyPlan): Promise<StreamSteady> {
  const count = plan.channels * plan.subscribersPerChannel;
  const published = Math.round(plan.rate * (plan.warmup + plan.seconds));
  const expectedOf = (channel: number) => Math.floor(published / plan.channels) + (channel < published % plan.channels ? 1 : 0);
  const checks = Array.from({ length: count }, (_, i) => new SequenceCheck(expectedOf(i % plan.channels)));
  const expected = checks.reduce((sum, check) => sum + check.expected, 0);
  const histogram = new LatencyHistogram();
  let delivered = 0;
  let lastEvent = 0;
  let measuredFrom = Infinity;
  let resolveAll!: () => void;
  const all = new Promise<void>((resolve) => (resolveAll = resolve));

  const rssBefore = await server.rssBytes();
  const { clients, opened } = await openStreams(
    server,
    count,
    (i) => `c${i % plan.channels}`,
    ({ data }, i) => {
      const [publishedAt, sequence] = data.split(' ').map(Number);
      const receivedAt = now();
      if (publishedAt >= measuredFrom) {
        histogram.record(receivedAt - publishedAt);
      }
      lastEvent = receivedAt;
      checks[i].received(sequence);
      if (++delivered === expected) {
        resolveAll();
      }
    },
  );
  if (!(await until(async () => (await server.open()) >= count))) {
    throw new Error(`only ${await server.open()} of ${count} streams were open after 30 s`);
  }
  const rss = await server.rssBytes();

  measuredFrom = now() + plan.warmup * 1_000;
  const warmedUp = new Promise((resolve) => setTimeout(resolve, plan.warmup * 1_000)).then(() => server.cpuMicros());
  const run = await server.steady(plan.channels, plan.rate, plan.warmup + plan.seconds);
  await Promise.race([all, deadline(plan.grace)]);
  const cpu = (await server.cpuMicros()) - (await warmedUp);
  clients.forEach((client) => client.close());

  const latency = histogram.percentiles();
  const sum = (of: (check: SequenceCheck) => number) => checks.reduce((total, check) => total + of(check), 0);
  return {
    server: server.name,
    streams: opened,
    published: run.sent,
    publishRate: run.sent / run.seconds,
    expected,
    delivered,
    deliveredPerSecond: latency.count / ((lastEvent - measuredFrom) / 1_000),
    latency,
    missing: sum((check) => check.missing),
    duplicates: sum((check) => check.duplicates),
    late: sum((check) => Math.max(0, check.expected - check.next)),
    cpuPerEventMicros: cpu / latency.count,
    rssPerStreamBytes: Math.round((rss - rssBefore) / count),
  };
}

/**
 * Opens `count` streams, stream i of the channel `channelOf(i)`, each on a connection of its own, in groups (each once
 * the last has its answer's headers); `onEvent` hears stream i's events. Resolves the clients, and how many opened (200).
 */
async function openStreams(
  server: StreamServer,
  count: number,
  channelOf: (i: number) => string,
  onEvent: (event: ReceivedEvent, i: number) => void,
): Promise<{ clients: EventStreamClient[]; opened: number }> {
  const clients: EventStreamClient[] = [];
  let opened = 0;
  await openInGroups(
    count,
    (i) =>
      void EventStreamClient.open(server.url(channelOf(i)), {}, (event) => onEvent(event, i)).then(
        (client) => {
          clients.push(client);
          opened += client.status === 200 ? 1 : 0;
        },
        () => undefined,
      ),
    async () => clients.length,
  );
  return { clients, opened };
}
