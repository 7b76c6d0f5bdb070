import { InvalidOptionsError } from './errors/index.js';
import { isEndpointName } from './endpoint-name.js';
import type {
  DeliveryMode,
  OverflowPolicy,
  PistachioAtLeastOnceOptions,
  PistachioBroadcastOptions,
  PistachioCommonOptions,
  PistachioModuleExtras,
  PistachioQueueCommonOptions,
  PistachioModuleOptions,
  PistachioStreamOptions,
  RegistrationMode,
  ResolvedPistachioOptions,
} from './interfaces/index.js';
import {
  DEFAULT_CONTENT_TYPE,
  DEFAULT_DEDUPLICATION_WINDOW,
  DEFAULT_MAX_BATCH,
  DEFAULT_MAX_ENDPOINTS_PER_POLL,
  DEFAULT_HEARTBEAT,
  DEFAULT_STREAM_MAX_DURATION,
  DEFAULT_MAX_DELIVERIES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_QUEUE_LENGTH,
  DEFAULT_METRICS_PREFIX,
  DEFAULT_MAX_WAITERS,
  DEFAULT_MAX_WAITERS_PER_ENDPOINT,
  DEFAULT_MESSAGE_TTL,
  DEFAULT_OVERFLOW,
  DEFAULT_RETENTION,
  DEFAULT_RETRY_AFTER,
  DEFAULT_SHUTDOWN_GRACE,
  DEFAULT_TIMEOUT,
  DEFAULT_VISIBILITY_TIMEOUT,
  DEFAULT_MAX_VISIBILITY_TIMEOUT,
  MAX_TIMEOUT,
} from './pistachio.constants.js';

const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['reject', 'drop-oldest'];
const DELIVERY_MODES: readonly DeliveryMode[] = ['at-most-once', 'at-least-once'];
const REGISTRATION_MODES: readonly RegistrationMode[] = ['queue', 'broadcast'];

/** The options of `Options` that are its own: not in `Base`, not structural, and not typed `never` (refused there). */
type OwnOptions<Options, Base> = {
  [K in Exclude<keyof Options, keyof Base | 'mode' | 'delivery'>]-?: [NonNullable<Options[K]>] extends [never] ? never : K;
}[Exclude<keyof Options, keyof Base | 'mode' | 'delivery'>];

/** A record of every option of a kind: the compiler refuses one that misses an option of its interface. */
type Every<Key extends PropertyKey> = Record<Key, true>;

const COMMON: Every<keyof PistachioCommonOptions> = {
  namespace: true, timeout: true, contentType: true, retryAfter: true, redis: true, durability: true, messageTtl: true,
  authorize: true, cors: true, directRoute: true, maxWaiters: true, maxWaitersPerEndpoint: true, maxMessageBytes: true, shutdownGrace: true,
  maxBatch: true, maxEndpointsPerPoll: true, metrics: true,
};
const QUEUE: Every<OwnOptions<PistachioQueueCommonOptions, PistachioCommonOptions>> = { maxQueueLength: true, overflow: true, deduplicationWindow: true, maxDelay: true };
const AT_LEAST_ONCE: Every<OwnOptions<PistachioAtLeastOnceOptions, PistachioQueueCommonOptions>> = { visibilityTimeout: true, maxVisibilityTimeout: true, maxDeliveries: true };
const BROADCAST: Every<OwnOptions<PistachioBroadcastOptions, PistachioCommonOptions & PistachioStreamOptions>> = { retention: true };
const STREAMS: Every<keyof PistachioStreamOptions> = { heartbeat: true, streamMaxDuration: true };

/** What each shape of registration takes besides the common options (see PistachioModuleOptions). */
type Shape = 'at-most-once' | 'at-least-once' | 'broadcast';
const SHAPE_OPTIONS: Record<Shape, string[]> = {
  'at-most-once': Object.keys({ ...QUEUE, ...STREAMS }),
  'at-least-once': Object.keys({ ...QUEUE, ...AT_LEAST_ONCE }),
  broadcast: Object.keys({ ...BROADCAST, ...STREAMS }),
};
/** Structural options that cannot be compared by value: a forRootAsync factory may not return them at all. */
const DEFINITION_ONLY: Every<Exclude<keyof PistachioModuleExtras, keyof RegistrationShape>> = { guards: true, isGlobal: true };
/** Options that earlier releases took, and why they are gone. */
const REMOVED_OPTIONS: Record<string, string> = {
  blockingConnections: 'to be left out: it is gone since 0.3 (0.2 ignored it), as waiting polls hold no Redis connection of their own',
};
const STRUCTURAL: Every<keyof RegistrationShape> = { path: true, name: true, mode: true, delivery: true };
const EVERY_OPTION = [
  ...new Set([...Object.keys(COMMON), ...Object.values(SHAPE_OPTIONS).flat(), ...Object.keys(STRUCTURAL), ...Object.keys(DEFINITION_ONLY)]),
];

/** A static route: slash-separated segments with no route parameters or wildcards. */
const ROUTE_PATH = /^(\/[A-Za-z0-9_.~-]+)+$|^\/$/;

/** What is fixed when the module is defined: forRoot's, or forRootAsync's top-level options. */
export type RegistrationShape = Pick<ResolvedPistachioOptions, 'path' | 'name' | 'mode' | 'delivery'>;

/**
 * Validates a registration's options and applies the defaults. `path`, `name`, `mode` and `delivery` are fixed when
 * the module is defined (forRoot's, or forRootAsync's top-level ones): a forRootAsync factory that returns others is
 * refused, as is an option that does not exist or that the registration's mode does not have.
 */
export function resolvePistachioOptions(options: PistachioModuleOptions | undefined, shape: RegistrationShape): ResolvedPistachioOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionsError('options', 'an object', options);
  }
  const { path, name, mode, delivery } = shape;
  assertShape(options, shape);
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new InvalidOptionsError('name', 'a non-empty string', name);
  }
  const maxWaiters = options.maxWaiters ?? DEFAULT_MAX_WAITERS;
  const resolved: ResolvedPistachioOptions = {
    namespace: options.namespace,
    name,
    path,
    timeout: options.timeout ?? DEFAULT_TIMEOUT,
    contentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
    retryAfter: options.retryAfter ?? DEFAULT_RETRY_AFTER,
    redis: options.redis,
    durability: options.durability,
    mode,
    retention: options.retention ?? DEFAULT_RETENTION,
    maxQueueLength: options.maxQueueLength ?? DEFAULT_MAX_QUEUE_LENGTH,
    overflow: options.overflow ?? DEFAULT_OVERFLOW,
    deduplicationWindow: options.deduplicationWindow ?? DEFAULT_DEDUPLICATION_WINDOW,
    maxDelay: options.maxDelay ?? options.messageTtl ?? DEFAULT_MESSAGE_TTL,
    messageTtl: options.messageTtl ?? DEFAULT_MESSAGE_TTL,
    authorize: options.authorize,
    cors: options.cors === true ? {} : (options.cors ?? false),
    directRoute: options.directRoute ?? false,
    maxWaiters,
    // A channel's subscribers are the many tabs and dashboards that watch it.
    maxWaitersPerEndpoint: options.maxWaitersPerEndpoint ?? (mode === 'broadcast' ? maxWaiters : DEFAULT_MAX_WAITERS_PER_ENDPOINT),
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    shutdownGrace: options.shutdownGrace ?? DEFAULT_SHUTDOWN_GRACE,
    delivery,
    visibilityTimeout: options.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT,
    maxVisibilityTimeout: options.maxVisibilityTimeout ?? DEFAULT_MAX_VISIBILITY_TIMEOUT,
    maxDeliveries: options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES,
    maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
    maxEndpointsPerPoll: options.maxEndpointsPerPoll ?? DEFAULT_MAX_ENDPOINTS_PER_POLL,
    heartbeat: options.heartbeat ?? DEFAULT_HEARTBEAT,
    streamMaxDuration: options.streamMaxDuration ?? DEFAULT_STREAM_MAX_DURATION,
    metrics: resolveMetrics(options.metrics),
  };
  if (!isEndpointName(resolved.namespace)) {
    throw new InvalidOptionsError('namespace', 'a non-empty name of A-Z a-z 0-9 _ . : - (at most 128)', resolved.namespace);
  }
  if (typeof resolved.path !== 'string' || !ROUTE_PATH.test(resolved.path)) {
    throw new InvalidOptionsError('path', 'a route like "/push_messages" (no trailing slash, parameters or wildcards)', resolved.path);
  }
  assertDuration(resolved.timeout, 'timeout');
  if (typeof resolved.contentType !== 'string' || resolved.contentType.trim() === '') {
    throw new InvalidOptionsError('contentType', 'a media type such as "application/json"', resolved.contentType);
  }
  if (!Number.isInteger(resolved.retryAfter) || resolved.retryAfter < 0) {
    throw new InvalidOptionsError('retryAfter', 'a whole number of seconds', resolved.retryAfter);
  }
  if (resolved.redis !== undefined && (resolved.redis === null || !['string', 'object'].includes(typeof resolved.redis))) {
    throw new InvalidOptionsError('redis', 'a Redis URL, ioredis options or an ioredis client', resolved.redis);
  }
  assertDurability(resolved);
  assertPositiveInteger(resolved.retention, 'retention');
  assertPositiveInteger(resolved.maxQueueLength, 'maxQueueLength');
  if (!OVERFLOW_POLICIES.includes(resolved.overflow)) {
    throw new InvalidOptionsError('overflow', OVERFLOW_POLICIES.map((policy) => `"${policy}"`).join(' or '), resolved.overflow);
  }
  assertDuration(resolved.messageTtl, 'messageTtl');
  assertDuration(resolved.deduplicationWindow, 'deduplicationWindow');
  assertDuration(resolved.maxDelay, 'maxDelay');
  if (resolved.authorize !== undefined && typeof resolved.authorize !== 'function') {
    throw new InvalidOptionsError('authorize', 'a function (request, endpoint) => boolean', resolved.authorize);
  }
  if (resolved.cors !== false && (resolved.cors === null || typeof resolved.cors !== 'object')) {
    throw new InvalidOptionsError('cors', 'true, false or CORS options', resolved.cors);
  }
  if (typeof resolved.directRoute !== 'boolean') {
    throw new InvalidOptionsError('directRoute', 'true or false', resolved.directRoute);
  }
  assertPositiveInteger(resolved.maxWaiters, 'maxWaiters');
  assertPositiveInteger(resolved.maxWaitersPerEndpoint, 'maxWaitersPerEndpoint');
  assertPositiveInteger(resolved.maxMessageBytes, 'maxMessageBytes');
  assertDuration(resolved.shutdownGrace, 'shutdownGrace');
  assertDuration(resolved.visibilityTimeout, 'visibilityTimeout');
  assertDuration(resolved.maxVisibilityTimeout, 'maxVisibilityTimeout');
  if (resolved.maxVisibilityTimeout < resolved.visibilityTimeout) {
    throw new InvalidOptionsError('maxVisibilityTimeout', `at least visibilityTimeout (${resolved.visibilityTimeout})`, resolved.maxVisibilityTimeout);
  }
  assertPositiveInteger(resolved.maxDeliveries, 'maxDeliveries');
  assertPositiveInteger(resolved.maxBatch, 'maxBatch');
  assertPositiveInteger(resolved.maxEndpointsPerPoll, 'maxEndpointsPerPoll');
  assertDuration(resolved.heartbeat, 'heartbeat');
  assertDuration(resolved.streamMaxDuration, 'streamMaxDuration');
  return resolved;
}

/**
 * The registration's mode and delivery, and the options given: each one known, and one that the mode has. A forRootAsync
 * factory may repeat a structural option only with the value given next to it.
 */
function assertShape(options: object, { path, name, mode, delivery }: RegistrationShape): void {
  if (!REGISTRATION_MODES.includes(mode)) {
    throw new InvalidOptionsError('mode', REGISTRATION_MODES.map((mode) => `"${mode}"`).join(' or '), mode);
  }
  if (!DELIVERY_MODES.includes(delivery)) {
    throw new InvalidOptionsError('delivery', DELIVERY_MODES.map((mode) => `"${mode}"`).join(' or '), delivery);
  }
  if (mode === 'broadcast' && delivery === 'at-least-once') {
    throw new InvalidOptionsError('delivery', `"at-most-once" in a broadcast registration (channels keep what they send)`, delivery);
  }
  const structural: Record<string, unknown> = { path, name, mode, delivery };
  const shape: Shape = mode === 'broadcast' ? 'broadcast' : delivery;
  for (const [option, value] of Object.entries(options)) {
    if (value === undefined) {
      continue;
    }
    if (option in DEFINITION_ONLY) {
      throw new InvalidOptionsError(option, 'to be given next to useFactory/useClass in forRootAsync, not by them', value);
    }
    if (option in structural && value !== structural[option]) {
      const given = structural[option];
      const defined = given === undefined ? 'none' : `${JSON.stringify(given)}, the default unless given there`;
      throw new InvalidOptionsError(option, `the value given next to useFactory/useClass in forRootAsync (${defined})`, value);
    }
    if (option in REMOVED_OPTIONS) {
      throw new InvalidOptionsError(option, REMOVED_OPTIONS[option], value);
    }
    if (!EVERY_OPTION.includes(option)) {
      const nearest = nearestOption(option);
      throw new InvalidOptionsError(option, `a known option${nearest ? ` (did you mean "${nearest}"?)` : ''}`, value);
    }
    const owners = (Object.keys(SHAPE_OPTIONS) as Shape[]).filter((kind) => SHAPE_OPTIONS[kind].includes(option));
    if (owners.length > 0 && !owners.includes(shape)) {
      const having = owners.map(describeKind).join(' and ');
      throw new InvalidOptionsError(option, `no value in ${article(shape)} ${describeKind(shape)} registration: only ${having} registrations have it`, value);
    }
  }
}


function describeKind(shape: Shape): string {
  return shape === 'broadcast' ? 'broadcast' : `${shape} queue`;
}

function article(shape: Shape): string {
  return shape === 'broadcast' ? 'a' : 'an';
}

/** The known option closest to a misspelt one (at most a third of its letters apart), to suggest it. */
function nearestOption(option: string): string | undefined {
  const [nearest] = EVERY_OPTION.map((known) => ({ known, distance: editDistance(option.toLowerCase(), known.toLowerCase()) }))
    .filter(({ distance }) => distance <= Math.max(1, Math.floor(option.length / 3)))
    .sort((a, b) => a.distance - b.distance);
  return nearest?.known;
}

/** Levenshtein distance: the fewest insertions, deletions or substitutions that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

/** `{ replicas, timeout }` on a Redis registration. */
function assertDurability({ durability, redis }: ResolvedPistachioOptions): void {
  if (durability === undefined) {
    return;
  }
  if (durability === null || typeof durability !== 'object') {
    throw new InvalidOptionsError('durability', '{ replicas, timeout }', durability);
  }
  assertPositiveInteger(durability.replicas, 'durability.replicas');
  assertDuration(durability.timeout, 'durability.timeout');
  if (redis === undefined) {
    throw new InvalidOptionsError('durability', 'no durability without the "redis" option (memory has no replicas)', 'durability');
  }
}

/** Off, or on with the default prefix unless given one: a Prometheus metric name's start. */
function resolveMetrics(metrics: PistachioModuleOptions['metrics']): ResolvedPistachioOptions['metrics'] {
  if (metrics === undefined || metrics === false) {
    return false;
  }
  if (metrics !== true && (metrics === null || typeof metrics !== 'object')) {
    throw new InvalidOptionsError('metrics', 'true, false or { registry, prefix }', metrics);
  }
  const { registry, prefix = DEFAULT_METRICS_PREFIX } = metrics === true ? {} : metrics;
  if (typeof prefix !== 'string' || !/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new InvalidOptionsError('metrics', 'a prefix of Prometheus name characters (a-z A-Z 0-9 _ :)', prefix);
  }
  return { registry, prefix };
}

function assertPositiveInteger(value: number, option: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidOptionsError(option, 'a positive whole number', value);
  }
}

/** A delay that setTimeout honours: positive, and at most MAX_TIMEOUT (about 24.8 days). */
export function assertDuration(value: unknown, option: string, owner?: string): asserts value is number {
  if (typeof value !== 'number' || !(value > 0) || value > MAX_TIMEOUT) {
    throw new InvalidOptionsError(option, `a positive number of milliseconds up to ${MAX_TIMEOUT}`, value, owner);
  }
}
