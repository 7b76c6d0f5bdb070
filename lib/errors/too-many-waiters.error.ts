import { PistachioError } from './pistachio.error.js';

/** A receive refused because `maxWaiters` polls already wait in this process: the route answers 503. */
export class TooManyWaitersError extends PistachioError {
  constructor(maxWaiters: number) {
    super(`${maxWaiters} polls already wait in this process (maxWaiters); retry later`);
  }
}
