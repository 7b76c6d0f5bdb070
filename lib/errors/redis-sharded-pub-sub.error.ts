import { PistachioError } from './pistachio.error.js';

/** Redis (or a proxy in front of it) refused sharded Pub/Sub, by which the module wakes the instances that wait. */
export class RedisShardedPubSubError extends PistachioError {
  constructor(readonly address: string, cause: unknown) {
    super(
      `Redis at ${address} refused sharded Pub/Sub (${cause instanceof Error ? cause.message : String(cause)}): ` +
        'nestjs-pistachio wakes waiting polls with SPUBLISH and SSUBSCRIBE (Redis 7.0 or later). Allow both commands ' +
        '(an ACL user needs +spublish +ssubscribe +sunsubscribe and &*), or connect to the Redis nodes rather than ' +
        'to a proxy that does not pass them',
      { cause },
    );
  }
}
