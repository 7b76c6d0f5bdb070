import type { DeliveryMode, RegistrationMode } from '../interfaces/index.js';

/** A Redis connection of the module, by what it does, with ioredis's status (`ready` when it serves). */
export interface RedisConnectionStats {
  /** `commands` carries every command; `wake` hears wake-ups; `durable` carries writes confirmed by replicas. */
  role: 'commands' | 'wake' | 'durable';
  status: string;
}

/** One master of the deployment, and the module's connections to it. */
export interface RedisNodeStats {
  address: string;
  connections: RedisConnectionStats[];
}

/** What the broker of a registration says of itself. */
export type BrokerStats =
  | { type: 'memory' }
  | {
      type: 'redis';
      /** One Redis (or the master a Sentinel names), or a Redis Cluster. */
      topology: 'single' | 'cluster';
      address: string;
      /** Each master, with the connections to it. */
      nodes: RedisNodeStats[];
      /** Every connection, of every master. */
      connections: RedisConnectionStats[];
    };

/** This process's figures for one registration, counts since it started (PistachioService.stats()). */
export interface PistachioStats {
  namespace: string;
  /** The registration's name, if it has one. */
  name?: string;
  mode: RegistrationMode;
  delivery: DeliveryMode;
  /** Receives waiting now: polls of the route and receive calls of the app. */
  pollsWaiting: number;
  messages: {
    published: number;
    /** Queues: publishes of a `deduplicationId` seen within `deduplicationWindow`, which stored nothing. */
    deduplicated: number;
    /** Queues: of those published, the ones stored with a `delay` (in `published` too). */
    delayed: number;
    /** Handed to receivers: answers to polls, and what receive calls returned (those given back included). */
    delivered: number;
    /** At least once: of those delivered, deliveries of a message that came back (a count above 1). */
    redelivered: number;
    /** Given back because their receiver left before it got them (at most once). */
    requeued: number;
    /** Taken from a queue and could not be given back (each is also logged). */
    lost: number;
    /** At least once: moved to the dead letters after `maxDeliveries`. */
    deadLettered: number;
    /** Queues: published with a `ttl` that passed before they were delivered, and dropped. */
    expired: number;
  };
  /** Polls of the route, by how they ended. */
  polls: {
    /** Answered with a message (or a batch). */
    message: number;
    /** Answered with a stream (`text/event-stream`), opened; its events count among the messages delivered. */
    stream: number;
    /** Answered 504: nothing came in time. */
    timeout: number;
    /** Refused: a 4xx (bad request, authorize, a refused acknowledgement, 429), a 503 of `maxWaiters`, or a 500. */
    refused: number;
    /** Their client left before the answer. */
    departed: number;
    /** Answered 503 by the app's shutdown. */
    shutdown: number;
  };
  broker: BrokerStats;
}
