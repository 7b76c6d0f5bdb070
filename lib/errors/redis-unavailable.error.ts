import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** A command (a publish, a length) that found no connection to Redis for as long as it could wait: it was not sent. */
export class RedisUnavailableError extends PistachioError {
  override readonly status = HttpStatus.SERVICE_UNAVAILABLE;

  constructor(readonly address: string, waited: number) {
    super(`Redis at ${address} was unreachable for ${waited} ms: nothing was sent, stored or taken; retry later`);
  }
}
