import type { ResolvedPistachioOptions } from '../interfaces/index.js';
import type { DeliveryEvents, PollOutcome } from './delivery-events.interface.js';
import { DeliveryStats } from './delivery-stats.js';
import { PrometheusMetrics } from './prometheus-metrics.js';

/** What one registration reports, counted for PistachioService.stats() and, with `metrics`, exported to Prometheus. */
export class RegistrationMonitor implements DeliveryEvents {
  readonly stats = new DeliveryStats();
  private readWaiting: () => number = () => 0;
  private readSubscribers: () => number = () => 0;

  constructor(private readonly metrics?: PrometheusMetrics) {}

  static async create({ metrics, namespace, name }: ResolvedPistachioOptions): Promise<RegistrationMonitor> {
    let monitor: RegistrationMonitor | undefined;
    const exported = metrics
      ? await PrometheusMetrics.create({
          registry: metrics.registry,
          prefix: metrics.prefix,
          labels: { namespace, name: name ?? '' },
          waiting: () => monitor!.waiting,
          subscribers: () => monitor!.subscribers,
        })
      : undefined;
    monitor = new RegistrationMonitor(exported);
    return monitor;
  }

  /** How many receives wait now. */
  get waiting(): number {
    return this.readWaiting();
  }

  /** Where the waiting receives are counted (Receives admits them). */
  countWaitingWith(read: () => number): void {
    this.readWaiting = read;
  }

  /** How many receives wait on the registration's endpoints, across the app's instances. */
  get subscribers(): number {
    return this.readSubscribers();
  }

  /** Where they are counted (the registration's Presence). */
  countSubscribersWith(read: () => number): void {
    this.readSubscribers = read;
  }

  published(count: number): void {
    this.stats.published(count);
    this.metrics?.published(count);
  }

  deduplicated(count: number): void {
    this.stats.deduplicated(count);
    this.metrics?.deduplicated(count);
  }

  delayed(count: number): void {
    this.stats.delayed(count);
    this.metrics?.delayed(count);
  }

  delivered(count: number, redelivered: number): void {
    this.stats.delivered(count, redelivered);
    this.metrics?.delivered(count, redelivered);
  }

  requeued(count: number): void {
    this.stats.requeued(count);
    this.metrics?.requeued(count);
  }

  lost(count: number): void {
    this.stats.lost(count);
    this.metrics?.lost(count);
  }

  expired(count: number): void {
    this.stats.expired(count);
    this.metrics?.expired(count);
  }

  deadLettered(count: number): void {
    this.stats.deadLettered(count);
    this.metrics?.deadLettered(count);
  }

  polled(outcome: PollOutcome, seconds: number): void {
    this.stats.polled(outcome);
    this.metrics?.polled(outcome, seconds);
  }
}
