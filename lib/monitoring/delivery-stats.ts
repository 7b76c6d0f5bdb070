import type { DeliveryEvents, PollOutcome } from './delivery-events.interface.js';
import type { PistachioStats } from './pistachio-stats.interface.js';

/** The counts since start that PistachioService.stats() reports: plain numbers, cheap to read on every scrape. */
export class DeliveryStats implements DeliveryEvents {
  readonly messages: PistachioStats['messages'] = {
    published: 0,
    deduplicated: 0,
    delayed: 0,
    delivered: 0,
    redelivered: 0,
    requeued: 0,
    lost: 0,
    deadLettered: 0,
    expired: 0,
  };
  readonly polls: PistachioStats['polls'] = { message: 0, stream: 0, timeout: 0, refused: 0, departed: 0, shutdown: 0 };

  published(count: number): void {
    this.messages.published += count;
  }

  deduplicated(count: number): void {
    this.messages.deduplicated += count;
  }

  delayed(count: number): void {
    this.messages.delayed += count;
  }

  delivered(count: number, redelivered: number): void {
    this.messages.delivered += count;
    this.messages.redelivered += redelivered;
  }

  requeued(count: number): void {
    this.messages.requeued += count;
  }

  lost(count: number): void {
    this.messages.lost += count;
  }

  deadLettered(count: number): void {
    this.messages.deadLettered += count;
  }

  expired(count: number): void {
    this.messages.expired += count;
  }

  polled(outcome: PollOutcome): void {
    this.polls[outcome]++;
  }
}
