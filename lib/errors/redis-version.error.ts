import { PistachioError } from './pistachio.error.js';

/** Redis is older than the module needs. */
export class RedisVersionError extends PistachioError {
  constructor(readonly address: string, version: string) {
    super(`Redis at ${address} runs ${version}; nestjs-pistachio needs Redis 7.0 or later (or Valkey)`);
  }
}
