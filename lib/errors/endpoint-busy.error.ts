import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** A receive refused because `maxWaitersPerEndpoint` polls already wait on the endpoint. */
export class EndpointBusyError extends PistachioError {
  override readonly status = HttpStatus.TOO_MANY_REQUESTS;

  constructor(readonly endpoint: string, maxWaitersPerEndpoint: number) {
    super(`${maxWaitersPerEndpoint} polls already wait on "${endpoint}" (maxWaitersPerEndpoint); retry later`);
  }
}
