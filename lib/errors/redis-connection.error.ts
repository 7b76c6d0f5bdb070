import { PistachioError } from './pistachio.error.js';

/** Redis could not be reached when the module started. */
export class RedisConnectionError extends PistachioError {
  constructor(readonly address: string, cause: unknown) {
    super(`Cannot connect to Redis at ${address} (${describe(cause)}): check the "redis" option and that Redis runs`, {
      cause,
    });
  }
}

function describe(cause: unknown): string {
  return cause instanceof Error ? cause.message : String(cause);
}
