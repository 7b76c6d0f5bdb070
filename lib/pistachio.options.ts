import { InvalidOptionsError } from './errors/index.js';
import { isEndpointName } from './endpoint-name.js';
import { PistachioModuleOptions, ResolvedPistachioOptions } from './interfaces/index.js';
import {
  DEFAULT_CONTENT_TYPE,
  DEFAULT_PATH,
  DEFAULT_RETRY_AFTER,
  DEFAULT_TIMEOUT,
  MAX_TIMEOUT,
} from './pistachio.constants.js';

/** A static route: slash-separated segments with no route parameters or wildcards. */
const ROUTE_PATH = /^(\/[A-Za-z0-9_.~-]+)+$|^\/$/;

/**
 * Validates a registration's options and applies the defaults.
 * `topLevelPath` is forRootAsync's `path`, which the factory's output may repeat but not contradict.
 */
export function resolvePistachioOptions(
  options: PistachioModuleOptions | undefined,
  topLevelPath?: string,
): ResolvedPistachioOptions {
  if (options === null || typeof options !== 'object') {
    throw new InvalidOptionsError('options', 'an object', options);
  }
  if (topLevelPath !== undefined && options.path !== undefined && options.path !== topLevelPath) {
    throw new InvalidOptionsError('path', `the top-level forRootAsync path ${JSON.stringify(topLevelPath)}`, options.path);
  }
  const resolved: ResolvedPistachioOptions = {
    namespace: options.namespace,
    path: topLevelPath ?? options.path ?? DEFAULT_PATH,
    timeout: options.timeout ?? DEFAULT_TIMEOUT,
    contentType: options.contentType ?? DEFAULT_CONTENT_TYPE,
    retryAfter: options.retryAfter ?? DEFAULT_RETRY_AFTER,
  };
  if (!isEndpointName(resolved.namespace)) {
    throw new InvalidOptionsError('namespace', 'a non-empty name of A-Z a-z 0-9 _ . : - (at most 128)', resolved.namespace);
  }
  if (typeof resolved.path !== 'string' || !ROUTE_PATH.test(resolved.path)) {
    throw new InvalidOptionsError('path', 'a route like "/push_messages" (no trailing slash, parameters or wildcards)', resolved.path);
  }
  assertTimeout(resolved.timeout, 'PistachioModule');
  if (typeof resolved.contentType !== 'string' || resolved.contentType.trim() === '') {
    throw new InvalidOptionsError('contentType', 'a media type such as "application/json"', resolved.contentType);
  }
  if (!Number.isInteger(resolved.retryAfter) || resolved.retryAfter < 0) {
    throw new InvalidOptionsError('retryAfter', 'a whole number of seconds', resolved.retryAfter);
  }
  return resolved;
}

export function assertTimeout(timeout: unknown, owner: string): asserts timeout is number {
  if (typeof timeout !== 'number' || !(timeout > 0) || timeout > MAX_TIMEOUT) {
    throw new InvalidOptionsError('timeout', `a positive number of milliseconds up to ${MAX_TIMEOUT}`, timeout, owner);
  }
}
