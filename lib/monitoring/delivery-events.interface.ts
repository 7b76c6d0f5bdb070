/** How a poll of the route ended (`stream`: it opened a stream, whose events count as delivered messages). */
export type PollOutcome = 'message' | 'stream' | 'timeout' | 'refused' | 'departed' | 'shutdown';

/** What a broker reports of the messages only it sees go. */
export interface BrokerEvents {
  /** Messages taken from a queue that could not be given back. */
  lost(count: number): void;
  /** At least once: messages moved to the dead letters after `maxDeliveries`. */
  deadLettered(count: number): void;
  /** Messages published with a `ttl` that passed before they were delivered: dropped. */
  expired(count: number): void;
}

/** What a registration reports as it works: DeliveryStats counts it, PrometheusMetrics exports it. */
export interface DeliveryEvents extends BrokerEvents {
  published(count: number): void;
  /** Publishes of a `deduplicationId` seen within the window: nothing was stored. */
  deduplicated(count: number): void;
  /** Of the messages published, those stored with a `delay`. */
  delayed(count: number): void;
  /** Messages handed to receivers (answers to polls, what receive calls return), `redelivered` of them come back. */
  delivered(count: number, redelivered: number): void;
  /** Messages given back because their receiver left before it got them (at most once). */
  requeued(count: number): void;
  /** A poll of the route answered, `seconds` after it arrived. */
  polled(outcome: PollOutcome, seconds: number): void;
}
