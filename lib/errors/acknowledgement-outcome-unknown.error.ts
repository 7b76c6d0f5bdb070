import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/**
 * The connection to Redis dropped before Redis confirmed an acknowledgement or release: it may or may not have been
 * settled. Settling again is safe: a receipt settled already is then refused as unknown, and nothing is lost either way.
 */
export class AcknowledgementOutcomeUnknownError extends PistachioError {
  override readonly status = HttpStatus.SERVICE_UNAVAILABLE;

  constructor(readonly key: string) {
    super(`The Redis connection dropped before Redis confirmed the acknowledgement on "${key}"; send it again`);
  }
}
