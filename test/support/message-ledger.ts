import { PistachioService, PublishOutcomeUnknownError } from '../../lib/index.js';

/** What became of the messages of a fault test, counted. */
export interface LedgerCounts {
  /** Publishes that resolved: stored for sure. */
  published: number;
  /** Publishes that rejected with PublishOutcomeUnknownError: stored or not. */
  uncertain: number;
  delivered: number;
  /** Still queued at the end. */
  left: number;
  /** Stored for sure, yet neither delivered nor left. */
  lost: number;
  /** Deliveries (or queued copies) of a message beyond its first. */
  duplicated: number;
  /** Delivered or left, yet never published: must always be 0. */
  unknown: number;
}

/** Counts every message of a fault test: what was published, delivered, left in the queues, lost, duplicated. */
export class MessageLedger {
  private readonly published = new Set<string>();
  private readonly uncertain = new Set<string>();
  private readonly delivered: string[] = [];

  /** Publishes and records the outcome: stored, or perhaps stored (PublishOutcomeUnknownError); other errors throw. */
  async publish(pistachio: PistachioService, endpoint: string, message: string): Promise<void> {
    try {
      await pistachio.publish(endpoint, message);
      this.published.add(message);
    } catch (error) {
      if (!(error instanceof PublishOutcomeUnknownError)) {
        throw error;
      }
      this.uncertain.add(message);
    }
  }

  /** Records a message stored by other means (e.g. an RPUSH of another Redis client). */
  stored(message: string): void {
    this.published.add(message);
  }

  deliver(message: string): void {
    this.delivered.push(message);
  }

  get deliveries(): number {
    return this.delivered.length;
  }

  /** The counts, given what is still queued; logged as one line under `title` for the figures in README. */
  settle(title: string, left: string[]): LedgerCounts {
    const seen = [...this.delivered, ...left];
    const distinct = new Set(seen);
    const counts: LedgerCounts = {
      published: this.published.size,
      uncertain: this.uncertain.size,
      delivered: this.delivered.length,
      left: left.length,
      lost: [...this.published].filter((message) => !distinct.has(message)).length,
      duplicated: seen.length - distinct.size,
      unknown: [...distinct].filter((message) => !this.published.has(message) && !this.uncertain.has(message)).length,
    };
    console.log(`${title}: ${JSON.stringify(counts)}`);
    return counts;
  }
}
