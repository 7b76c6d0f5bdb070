import { Logger } from '@nestjs/common';
import { InvalidOptionsError } from './errors/index.js';
import { isEndpointName } from './endpoint-name.js';
import {
  DeliveryMode,
  OverflowPolicy,
  PistachioModuleOptions,
  RegistrationMode,
  ResolvedPistachioOptions,
} from './interfaces/index.js';
import {
  DEFAULT_CONTENT_TYPE,
  DEFAULT_DELIVERY,
  DEFAULT_MAX_BATCH,
  DEFAULT_MAX_DELIVERIES,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_QUEUE_LENGTH,
  DEFAULT_METRICS_PREFIX,
  DEFAULT_MAX_WAITERS,
  DEFAULT_MAX_WAITERS_PER_ENDPOINT,
  DEFAULT_MESSAGE_TTL,
  DEFAULT_MODE,
  DEFAULT_OVERFLOW,
  DEFAULT_RETENTION,
  DEFAULT_RETRY_AFTER,
  DEFAULT_SHUTDOWN_GRACE,
  DEFAULT_TIMEOUT,
  DEFAULT_VISIBILITY_TIMEOUT,
  MAX_TIMEOUT,
} from './pistachio.constants.js';

const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['reject', 'drop-oldest'];
const DELIVERY_MODES: readonly DeliveryMode[] = ['at-most-once', 'at-least-once'];
const REGISTRATION_MODES: readonly RegistrationMode[] = ['queue', 'broadcast'];

/** A static route: slash-separated segments with no route parameters or wildcards. */
const ROUTE_PATH = /^(\/[A-Za-z0-9_.~-]+)+$|^\/$/;

/**
 * Validates a registration's options and applies the defaults. `path` and `name` are fixed when the module is defined
 * (forRoot's, or forRootAsync's top-level ones): a forRootAsync factory that returns another path is refused.
 */
export function resolvePistachioOptions(
  options: PistachioModuleOptions | undefined,
  { path, name }: Pick<ResolvedPistachioOptions, 'path' | 'name'>,
): ResolvedPistachioOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionsError('options', 'an object', options);
  }
  const factoryPath = (options as { path?: unknown }).path;
  if (factoryPath !== undefined && factoryPath !== path) {
    throw new InvalidOptionsError('path', `given next to useFactory/useClass in forRootAsync (the route is ${path})`, factoryPath);
  }
  if (name !== undefined && (typeof name !== 'string' || name === '')) {
    throw new InvalidOptionsError('name', 'a non-empty string', name);
  }
  const mode = options.mode ?? DEFAULT_MODE;
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
    messageTtl: options.messageTtl ?? DEFAULT_MESSAGE_TTL,
    authorize: options.authorize,
    cors: options.cors === true ? {} : (options.cors ?? false),
    maxWaiters,
    // A channel's subscribers are the many tabs and dashboards that watch it.
    maxWaitersPerEndpoint: options.maxWaitersPerEndpoint ?? (mode === 'broadcast' ? maxWaiters : DEFAULT_MAX_WAITERS_PER_ENDPOINT),
    maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
    shutdownGrace: options.shutdownGrace ?? DEFAULT_SHUTDOWN_GRACE,
    delivery: options.delivery ?? DEFAULT_DELIVERY,
    visibilityTimeout: options.visibilityTimeout ?? DEFAULT_VISIBILITY_TIMEOUT,
    maxDeliveries: options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES,
    maxBatch: options.maxBatch ?? DEFAULT_MAX_BATCH,
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
  if (options.blockingConnections !== undefined) {
    new Logger('PistachioModule').warn(
      'The option "blockingConnections" is deprecated and ignored: waiting polls hold no Redis connection of their own ' +
        'since 0.2 (see the changelog); remove it, as 0.3 will refuse it',
    );
  }
  assertDurability(resolved);
  if (!REGISTRATION_MODES.includes(resolved.mode)) {
    throw new InvalidOptionsError('mode', REGISTRATION_MODES.map((mode) => `"${mode}"`).join(' or '), resolved.mode);
  }
  assertPositiveInteger(resolved.retention, 'retention');
  assertPositiveInteger(resolved.maxQueueLength, 'maxQueueLength');
  if (!OVERFLOW_POLICIES.includes(resolved.overflow)) {
    throw new InvalidOptionsError('overflow', OVERFLOW_POLICIES.map((policy) => `"${policy}"`).join(' or '), resolved.overflow);
  }
  assertDuration(resolved.messageTtl, 'messageTtl');
  if (resolved.authorize !== undefined && typeof resolved.authorize !== 'function') {
    throw new InvalidOptionsError('authorize', 'a function (request, endpoint) => boolean', resolved.authorize);
  }
  if (resolved.cors !== false && (resolved.cors === null || typeof resolved.cors !== 'object')) {
    throw new InvalidOptionsError('cors', 'true, false or CORS options', resolved.cors);
  }
  assertPositiveInteger(resolved.maxWaiters, 'maxWaiters');
  assertPositiveInteger(resolved.maxWaitersPerEndpoint, 'maxWaitersPerEndpoint');
  assertPositiveInteger(resolved.maxMessageBytes, 'maxMessageBytes');
  assertDuration(resolved.shutdownGrace, 'shutdownGrace');
  if (!DELIVERY_MODES.includes(resolved.delivery)) {
    throw new InvalidOptionsError('delivery', DELIVERY_MODES.map((mode) => `"${mode}"`).join(' or '), resolved.delivery);
  }
  if (resolved.mode === 'broadcast' && resolved.delivery === 'at-least-once') {
    throw new InvalidOptionsError('delivery', `"at-most-once" in a broadcast registration (channels keep what they send)`, resolved.delivery);
  }
  assertDuration(resolved.visibilityTimeout, 'visibilityTimeout');
  assertPositiveInteger(resolved.maxDeliveries, 'maxDeliveries');
  assertPositiveInteger(resolved.maxBatch, 'maxBatch');
  return resolved;
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
