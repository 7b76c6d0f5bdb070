import type { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { importPeer } from '../optional-peer.js';
import type { DeliveryEvents, PollOutcome } from './delivery-events.interface.js';

/** Where the metrics of a registration go, and under which labels. */
export interface MetricsTarget {
  /** A prom-client Registry; its default one when absent. */
  registry?: unknown;
  prefix: string;
  labels: { namespace: string; name: string };
  /** How many receives wait now in this process, read at each scrape. */
  waiting: () => number;
  /** How many wait across the app's instances, read at each scrape. */
  subscribers: () => number;
}

const OUTCOMES: PollOutcome[] = ['message', 'stream', 'timeout', 'refused', 'departed', 'shutdown'];
/** Long polls last up to their timeout: buckets from a few milliseconds to a minute. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const LABELS = ['namespace', 'name'] as const;

/** The registrations each gauge reads: registrations that share a registry share its metrics. */
const readersOf = new WeakMap<object, Map<string, MetricsTarget>>();

/**
 * A registration's metrics in Prometheus (prom-client), every series labelled with its `namespace` and `name`. Two
 * registrations in one registry share each metric under different labels; counters start at 0, so that dashboards
 * and alerts see them before the first event.
 */
export class PrometheusMetrics implements DeliveryEvents {
  private constructor(
    private readonly messages: Record<'published' | 'deduplicated' | 'delayed' | 'delivered' | 'redelivered' | 'requeued' | 'lost' | 'deadLettered' | 'expired', Counter.Internal>,
    /** The series of each outcome, bound once: a poll then costs no label lookup. */
    private readonly polls: Record<PollOutcome, { count: Counter.Internal; duration: Histogram.Internal<string> }>,
  ) {}

  static async create(target: MetricsTarget): Promise<PrometheusMetrics> {
    const client = await importPeer(() => import('prom-client'), 'prom-client', 'The "metrics" option');
    const registry = (target.registry as Registry | undefined) ?? client.register;
    const { prefix, labels } = target;
    const shared = <M>(name: string, create: () => M): M => (registry.getSingleMetric(prefix + name) as M) ?? create();
    const counter = (name: string, help: string) =>
      shared(name, () => new client.Counter({ name: prefix + name, help, labelNames: LABELS, registers: [registry] })).labels(labels);
    const messages = {
      published: counter('messages_published_total', 'Messages stored by publish()'),
      deduplicated: counter('messages_deduplicated_total', 'Publishes of a deduplicationId seen within the window: nothing stored'),
      delayed: counter('messages_delayed_total', 'Of the messages published, those stored with a delay'),
      delivered: counter('messages_delivered_total', 'Messages handed to receivers'),
      redelivered: counter('messages_redelivered_total', 'At least once: deliveries of messages that came back unacknowledged'),
      requeued: counter('messages_requeued_total', 'Messages given back because their receiver left before it got them'),
      lost: counter('messages_lost_total', 'Messages taken from a queue that could not be given back'),
      deadLettered: counter('messages_dead_lettered_total', 'At least once: messages moved to the dead letters'),
      expired: counter('messages_expired_total', 'Messages whose ttl passed before they were delivered: dropped'),
    };
    Object.values(messages).forEach((series) => series.inc(0));
    const polls = shared(
      'polls_total',
      () =>
        new client.Counter({
          name: `${prefix}polls_total`,
          help: 'Polls of the route, by how they ended',
          labelNames: [...LABELS, 'outcome'],
          registers: [registry],
        }),
    );
    const durations = shared(
      'poll_duration_seconds',
      () =>
        new client.Histogram({
          name: `${prefix}poll_duration_seconds`,
          help: 'Seconds from the arrival of a poll to its answer, by how it ended',
          labelNames: [...LABELS, 'outcome'],
          buckets: DURATION_BUCKETS,
          registers: [registry],
        }),
    );
    // A gauge is read at each scrape, for every registration in the registry.
    const gauge = (name: string, help: string, read: (target: MetricsTarget) => number) => {
      const metric = shared(
        name,
        () =>
          new client.Gauge({
            name: prefix + name,
            help,
            labelNames: LABELS,
            registers: [registry],
            collect(this: Gauge<string>) {
              readersOf.get(this)?.forEach((of) => this.set(of.labels, read(of)));
            },
          }),
      );
      const readers = readersOf.get(metric) ?? new Map<string, MetricsTarget>();
      readersOf.set(metric, readers.set(`${labels.namespace}\n${labels.name}`, target));
    };
    gauge('polls_waiting', 'Receives waiting now: polls of the route and receive calls of the app', (of) => of.waiting());
    gauge('subscribers', "Receives waiting now on the registration's endpoints across the app's instances, as of the last second", (of) =>
      of.subscribers(),
    );
    const outcomes = Object.fromEntries(
      OUTCOMES.map((outcome) => {
        const count = polls.labels({ ...labels, outcome });
        count.inc(0);
        return [outcome, { count, duration: durations.labels({ ...labels, outcome }) }];
      }),
    ) as PrometheusMetrics['polls'];
    return new PrometheusMetrics(messages, outcomes);
  }

  published(count: number): void {
    this.messages.published.inc(count);
  }

  deduplicated(count: number): void {
    this.messages.deduplicated.inc(count);
  }

  delayed(count: number): void {
    this.messages.delayed.inc(count);
  }

  delivered(count: number, redelivered: number): void {
    this.messages.delivered.inc(count);
    if (redelivered > 0) {
      this.messages.redelivered.inc(redelivered);
    }
  }

  requeued(count: number): void {
    this.messages.requeued.inc(count);
  }

  lost(count: number): void {
    this.messages.lost.inc(count);
  }

  deadLettered(count: number): void {
    this.messages.deadLettered.inc(count);
  }

  expired(count: number): void {
    this.messages.expired.inc(count);
  }

  polled(outcome: PollOutcome, seconds: number): void {
    const { count, duration } = this.polls[outcome];
    count.inc();
    duration.observe(seconds);
  }
}
