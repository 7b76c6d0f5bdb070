import type { Redis, RedisOptions } from 'ioredis';

/** What a publish to a full queue does: fail with a QueueFullError, or make room by dropping the oldest message. */
export type OverflowPolicy = 'reject' | 'drop-oldest';

export interface PistachioModuleOptions {
  /** Prefix of every queue: an endpoint `foo` is stored at `<namespace>:foo`. */
  namespace: string;
  /** Route that serves the polls, `GET {path}/{endpoint}`. Default `/push_messages`. */
  path?: string;
  /** How long a poll waits for a message before the 504, in milliseconds. Default 30 000. */
  timeout?: number;
  /** `Content-Type` of a delivered message. Default `text/plain; charset=utf-8`. */
  contentType?: string;
  /** Seconds a client is told to wait (`Retry-After`) when the app is shutting down. Default 1. */
  retryAfter?: number;
  /**
   * Redis for queues shared by every instance of the app: a URL, ioredis options, or an ioredis client of the app's
   * (the module derives its own connections from it and leaves it open). Default: none, queues in process memory.
   */
  redis?: string | RedisOptions | Redis;
  /** Blocking Redis connections that wait for messages, however many polls wait. Default 4. */
  blockingConnections?: number;
  /** Most messages one endpoint's queue holds. Default 1000. */
  maxQueueLength?: number;
  /** What a publish to a full queue does. Default `reject`. */
  overflow?: OverflowPolicy;
  /** Milliseconds after its latest publish that a queue nobody empties is deleted. Default 86 400 000 (a day). */
  messageTtl?: number;
}

/** Options that shape the module definition itself, so forRootAsync takes them next to `useFactory`. */
export interface PistachioModuleExtras {
  /** Register the module globally. Default `false`. */
  isGlobal?: boolean;
  /** As {@link PistachioModuleOptions.path}; given here, the factory need not return it. */
  path?: string;
}

export type ResolvedPistachioOptions = Required<Omit<PistachioModuleOptions, 'redis'>> &
  Pick<PistachioModuleOptions, 'redis'>;
