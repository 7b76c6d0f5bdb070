import type { CanActivate, Type } from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';
import type { ConnectionOptions } from 'node:tls';

/** What a publish to a full queue does: fail with a QueueFullError, or make room by dropping the oldest message. */
export type OverflowPolicy = 'reject' | 'drop-oldest';

/**
 * When a message counts as delivered: once its answer was written (`at-most-once`), or once its receiver acknowledged
 * it (`at-least-once`: unacknowledged messages come back after `visibilityTimeout`).
 */
export type DeliveryMode = 'at-most-once' | 'at-least-once';

/**
 * What an endpoint is: a queue, whose every message goes to one receiver (`queue`), or a channel, whose every
 * message goes to every subscriber and stays retained for those that come back with a cursor (`broadcast`).
 */
export type RegistrationMode = 'queue' | 'broadcast';

/** What `authorize` sees of a poll's request: Express's or Fastify's request object, Node's `IncomingMessage` on the direct route. */
export interface PollRequest {
  headers: IncomingHttpHeaders;
  /** Set by an authentication guard or middleware (e.g. Passport), if the app has one. */
  user?: unknown;
  [key: string]: unknown;
}

/** Decides whether a request may poll an endpoint; `false` answers 403, a thrown HttpException answers as it says. */
export type AuthorizeHook = (request: PollRequest, endpoint: string) => boolean | Promise<boolean>;

/** Cross-origin access to the route, answered by the `cors` middleware on every answer and to preflights. */
export interface PistachioCorsOptions {
  /** Allowed origins: `true` (any, the default), one, a pattern, a list, or a function of the request's Origin. */
  origin?: boolean | string | RegExp | (string | RegExp)[] | ((origin: string | undefined) => boolean | Promise<boolean>);
  /** Let browsers send cookies and auth headers (`Access-Control-Allow-Credentials`). Default `false`. */
  credentials?: boolean;
  /** Seconds a browser may cache a preflight answer. Default: the browser's own. */
  maxAge?: number;
  /** Request headers a client may send, e.g. `['Authorization']`. Default: whatever the preflight asks for. */
  allowedHeaders?: string[];
}

/**
 * The ioredis options that apps usually set, declared here so that apps on the memory broker need neither ioredis nor
 * its types; a value typed as ioredis's `RedisOptions` fits. For anything else, pass an ioredis client set up as needed.
 */
export interface PistachioRedisOptions {
  host?: string;
  port?: number;
  /** A Unix socket instead of host and port. */
  path?: string;
  family?: number;
  username?: string;
  password?: string;
  db?: number;
  tls?: ConnectionOptions;
  connectTimeout?: number;
  keepAlive?: number;
  /** Sentinels to ask for the master named `name`. */
  sentinels?: { host?: string; port?: number }[];
  name?: string;
  /** Milliseconds before the next reconnection attempt, or null to stop. Default: the module's, 25 ms growing to 200 ms. */
  retryStrategy?: ((times: number) => number | void | null) | null;
}

/** Where the module's Prometheus metrics go (see README, Monitoring). */
export interface PistachioMetricsOptions {
  /** A prom-client `Registry`. Default: prom-client's default registry (the one `@willsoto/nestjs-prometheus` serves). */
  registry?: object;
  /** Prefix of every metric name. Default `pistachio_`. */
  prefix?: string;
}

/**
 * An ioredis client of the app's, a `Redis` (on one node or a Sentinel's master) or a `Cluster`: the module opens its
 * own connections from it, with its settings, and leaves it to the app.
 */
export interface PistachioRedisClient {
  duplicate(override?: object): unknown;
}

/** A Redis Cluster given as configuration (a file's), rather than as an ioredis `Cluster` of the app's. */
export interface PistachioClusterOption {
  cluster: {
    /** Start-up nodes, `{ host, port }` or `'host:port'`: the module learns the others from them. */
    nodes: ({ host?: string; port?: number } | string)[];
    /** ioredis `ClusterOptions`, e.g. `{ redisOptions: { password, tls } }` for every node. Default: ioredis's. */
    options?: object;
  };
}

/**
 * How many replicas must have a write before it counts: a publish resolves (and, at least once, a delivery is handed
 * out) only once `replicas` replicas confirmed it, within `timeout` milliseconds (Redis `WAIT`).
 */
export interface PistachioDurability {
  replicas: number;
  timeout: number;
}

/** The options every registration takes, whatever its mode. */
export interface PistachioCommonOptions {
  /** Prefix of every queue: an endpoint `foo` is stored at `<namespace>:foo`. */
  namespace: string;
  /** How long a poll waits for a message before the 504, in milliseconds. Default 30 000. */
  timeout?: number;
  /** `Content-Type` of a delivered message. Default `text/plain; charset=utf-8`. */
  contentType?: string;
  /** Seconds a client is told to wait (`Retry-After`) when the app is shutting down. Default 1. */
  retryAfter?: number;
  /**
   * Redis for queues shared by every instance of the app: a URL, ioredis options (with `sentinels` for a Sentinel's
   * master), `{ cluster: { nodes, options } }`, or an ioredis `Redis` or `Cluster` of the app's (the module derives
   * its own connections from it and leaves it open). Registrations on the same client or equal options share their
   * connections. Default: none, queues in process memory.
   */
  redis?: string | PistachioRedisOptions | PistachioRedisClient | PistachioClusterOption;
  /**
   * Redis only: a publish resolves once this many replicas have it (at least once, a delivery is handed out once they
   * have its claim), else it rejects with PublishOutcomeUnknownError after `timeout` ms. Default: none (what a failover
   * loses, see README).
   */
  durability?: PistachioDurability;
  /**
   * Milliseconds after its latest publish that a queue nobody empties, or a channel, is deleted. Default 86 400 000
   * (a day).
   */
  messageTtl?: number;
  /**
   * Per-endpoint authorization of each poll, after the guards (on the direct route, the only check). Default: none
   * (endpoint names are bearer secrets).
   */
  authorize?: AuthorizeHook;
  /** Cross-origin access for browser clients on other origins. Default: off. */
  cors?: boolean | PistachioCorsOptions;
  /**
   * Serve polls (`GET {path}/:endpoint`, streams excepted) straight from the HTTP server, ahead of the framework: no
   * middleware, guard, interceptor, pipe or filter of the app runs on them, `authorize` and `cors` do. On Express,
   * 1.5–1.7× the messages per second. Not with `guards`. Default `false`.
   */
  directRoute?: boolean;
  /** Polls that may wait at once in this process (per registration); beyond it, 503. Default 10 000. */
  maxWaiters?: number;
  /** Polls that may wait at once on one endpoint in this process; beyond it, 429. Default 100, broadcast `maxWaiters`. */
  maxWaitersPerEndpoint?: number;
  /** Largest message `publish` stores, in bytes; beyond it, MessageTooLargeError. Default 1 048 576 (1 MiB). */
  maxMessageBytes?: number;
  /** Milliseconds shutdown waits for messages on their way to clients before it closes the broker. Default 2000. */
  shutdownGrace?: number;
  /** Most messages one batch poll (`?max=N`) may ask for. Default 100. */
  maxBatch?: number;
  /** Most endpoints one multiplexed poll (`GET {path}/a,b,c`) may wait on; 1 refuses multiplexed polls. Default 16. */
  maxEndpointsPerPoll?: number;
  /** Prometheus metrics with prom-client (an optional peer): `true`, or where and under which prefix. Default: off. */
  metrics?: boolean | PistachioMetricsOptions;
}

/** Streams (`Accept: text/event-stream`), in the registrations that offer them: queues at most once, and broadcast. */
export interface PistachioStreamOptions {
  /** Milliseconds between the comment lines that keep an idle stream open through proxies. Default 15 000. */
  heartbeat?: number;
  /** Milliseconds a stream lasts before it ends and its client reconnects. Default 600 000 (10 minutes). */
  streamMaxDuration?: number;
}

/** The options of a registration of queues, at most or at least once. */
export interface PistachioQueueCommonOptions extends PistachioCommonOptions {
  /** Each endpoint is a queue: every message goes to one receiver. The default. */
  mode?: 'queue';
  /** Most messages one endpoint's queue holds. Default 1000. */
  maxQueueLength?: number;
  /** What a publish to a full queue does. Default `reject`. */
  overflow?: OverflowPolicy;
  /**
   * Milliseconds an endpoint remembers a publish's `deduplicationId`: a publish of the same id within it stores
   * nothing. Default 300 000 (5 minutes).
   */
  deduplicationWindow?: number;
  /** Longest `delay` a publish may ask for, in milliseconds. Default: `messageTtl`, so that no queue expires under a message not yet due. */
  maxDelay?: number;
  retention?: never;
}

/** Queues delivered at most once (the default): a message counts as delivered once its answer was written. */
export interface PistachioAtMostOnceOptions extends PistachioQueueCommonOptions, PistachioStreamOptions {
  delivery?: 'at-most-once';
  visibilityTimeout?: never;
  maxVisibilityTimeout?: never;
  maxDeliveries?: never;
}

/** Queues delivered at least once: a message counts as delivered once its receiver acknowledged it. */
export interface PistachioAtLeastOnceOptions extends PistachioQueueCommonOptions {
  delivery: 'at-least-once';
  /** Milliseconds from handing a message out until it is delivered again unless acknowledged. Default 30 000. */
  visibilityTimeout?: number;
  /**
   * Longest visibility an extension may set (`PATCH {path}/{endpoint}/{receipt}?visibility=`, `extend()`), in
   * milliseconds from the extension. Default 43 200 000 (12 hours, as SQS).
   */
  maxVisibilityTimeout?: number;
  /** Deliveries of a message before it moves to its endpoint's dead letters. Default 5. */
  maxDeliveries?: number;
  /** A stream cannot acknowledge: at least once, the route answers streams 406. */
  heartbeat?: never;
  streamMaxDuration?: never;
}

/** Broadcast channels: every message goes to every subscriber and stays retained for those that come back. */
export interface PistachioBroadcastOptions extends PistachioCommonOptions, PistachioStreamOptions {
  mode: 'broadcast';
  /** Most messages each channel retains for subscribers that come back with a cursor. Default 1000. */
  retention?: number;
  /** Channels keep what they send: nothing to acknowledge. */
  delivery?: 'at-most-once';
  maxQueueLength?: never;
  overflow?: never;
  deduplicationWindow?: never;
  maxDelay?: never;
  visibilityTimeout?: never;
  maxVisibilityTimeout?: never;
  maxDeliveries?: never;
}

/**
 * A registration's options, one shape per mode (`mode`, and for queues `delivery`): an option that the mode does not
 * have is a type error here and an InvalidOptionsError at start-up.
 */
export type PistachioModuleOptions = PistachioAtMostOnceOptions | PistachioAtLeastOnceOptions | PistachioBroadcastOptions;

/** Options that shape the module definition itself, so forRootAsync takes them next to `useFactory`. */
export interface PistachioModuleExtras {
  /**
   * Whether each endpoint is a queue or a broadcast channel; in forRootAsync, given here rather than by the factory,
   * as it decides the injectables and routes. Default `queue`.
   */
  mode?: RegistrationMode;
  /** Queues: when a message counts as delivered; in forRootAsync, given here as well. Default `at-most-once`. */
  delivery?: DeliveryMode;
  /** Register the module globally. Default `false`. */
  isGlobal?: boolean;
  /** Route that serves the polls, `GET {path}/{endpoint}`. Default `/push_messages`. */
  path?: string;
  /** Names the registration, to inject its service with `@InjectPistachio(name)`. Default: unnamed. */
  name?: string;
  /** Guards of the route, classes (resolved in the module's scope) or instances, on top of the app's global ones. */
  guards?: (Type<CanActivate> | CanActivate)[];
}

/** What `PistachioModule.forRoot()` takes: the options, and those that shape the module itself. */
export type PistachioRootOptions = PistachioModuleOptions & PistachioModuleExtras;

/** The options of a registration as the module uses them: checked, flat, defaults applied. */
export type ResolvedPistachioOptions = Required<
  Omit<PistachioCommonOptions, 'redis' | 'authorize' | 'cors' | 'metrics' | 'durability'>
> &
  Pick<PistachioCommonOptions, 'redis' | 'authorize' | 'durability'> &
  Required<Pick<PistachioAtLeastOnceOptions, 'maxQueueLength' | 'overflow' | 'deduplicationWindow' | 'maxDelay' | 'visibilityTimeout' | 'maxVisibilityTimeout' | 'maxDeliveries'>> &
  Required<Pick<PistachioBroadcastOptions, 'retention'>> &
  Required<PistachioStreamOptions> & {
    mode: RegistrationMode;
    delivery: DeliveryMode;
  } &
  Pick<PistachioModuleExtras, 'name'> & {
    path: string;
    cors: PistachioCorsOptions | false;
    metrics: (PistachioMetricsOptions & { prefix: string }) | false;
  };
