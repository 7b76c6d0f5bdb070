import type { BrokerHealth } from '../brokers/broker.interface.js';
import type { ChannelRead, ResolvedPistachioOptions } from '../interfaces/index.js';
import type { BrokerStats } from '../monitoring/pistachio-stats.interface.js';

/** How many messages each channel keeps, and how long after its latest publish it lives. */
export type ChannelSettings = Pick<ResolvedPistachioOptions, 'retention' | 'messageTtl'>;

export interface ChannelReadRequest {
  /** A valid id to read after; none to wait for the next message published. */
  after?: string;
  /** Most messages to answer. */
  max: number;
  /** Milliseconds to wait when nothing is retained after the cursor, before answering none. */
  timeout: number;
  /** Aborting it rejects the read with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Storage and fan-out of broadcast channels. Every key is `<namespace>:<channel>`; a channel is a log of its latest
 * messages (`retention`), ordered by id, that reading never changes; every reader of a channel gets every message.
 * `test/` holds the spec every channel broker passes.
 */
export interface ChannelBroker {
  /** Appends a message to the channel and wakes its readers; answers the message's id. */
  publish(key: string, message: Buffer): Promise<string>;
  /** The retained messages after the cursor, up to `max`, or the next to come within the timeout. */
  read(key: string, request: ChannelReadRequest): Promise<ChannelRead>;
  /** The retained messages after the cursor, up to `max`, at once: none when nothing is retained after it. */
  readRetained(key: string, after: string, max: number): Promise<ChannelRead>;
  /** The id of the channel's latest message (the origin when it has none): a cursor that reads what comes next. */
  latest(key: string): Promise<string>;
  /** How many messages the channel retains. */
  length(key: string): Promise<number>;
  /** Stops reading and releases what the broker holds; every reader still waiting must have been aborted. */
  close(): Promise<void>;
  stats(): BrokerStats;
  health(): Promise<BrokerHealth>;
}
