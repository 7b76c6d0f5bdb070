import { PistachioError } from './pistachio.error.js';

/**
 * The connection to Redis dropped after a publish went out and before Redis confirmed it: the message may or may not
 * be stored. The module never sends it again by itself, since that could store it twice.
 */
export class PublishOutcomeUnknownError extends PistachioError {
  constructor(readonly key: string) {
    super(
      `The Redis connection dropped before Redis confirmed the publish to "${key}": the message may or may not be ` +
        'stored; publish it again only if a duplicate is acceptable',
    );
  }
}
