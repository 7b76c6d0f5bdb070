import { PistachioError } from './pistachio.error.js';

/** A publish that Redis refused for lack of memory (`maxmemory` reached under `noeviction`); nothing was stored. */
export class RedisOutOfMemoryError extends PistachioError {
  constructor(readonly key: string, cause: unknown) {
    super(
      `Redis is out of memory (maxmemory reached) and refused the publish to "${key}"; nothing was stored: ` +
        'raise maxmemory, or have the queues drained or bounded (maxQueueLength, messageTtl)',
      { cause },
    );
  }
}
