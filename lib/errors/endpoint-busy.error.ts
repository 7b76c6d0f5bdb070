import { PistachioError } from './pistachio.error.js';

/** A receive refused because `maxWaitersPerEndpoint` polls already wait on the endpoint: the route answers 429. */
export class EndpointBusyError extends PistachioError {
  constructor(readonly endpoint: string, maxWaitersPerEndpoint: number) {
    super(`${maxWaitersPerEndpoint} polls already wait on "${endpoint}" (maxWaitersPerEndpoint); retry later`);
  }
}
