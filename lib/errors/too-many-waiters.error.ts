import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** A receive refused because `maxWaiters` polls already wait in this process. */
export class TooManyWaitersError extends PistachioError {
  override readonly status = HttpStatus.SERVICE_UNAVAILABLE;

  constructor(maxWaiters: number) {
    super(`${maxWaiters} polls already wait in this process (maxWaiters); retry later`);
  }
}
