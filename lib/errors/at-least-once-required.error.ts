import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** An acknowledgement-only operation on a registration that delivers at most once, where nothing waits to be settled. */
export class AtLeastOnceRequiredError extends PistachioError {
  override readonly status = HttpStatus.BAD_REQUEST;

  constructor(operation: string) {
    super(`${operation} needs a registration with delivery: 'at-least-once'; this one delivers at most once`);
  }
}
