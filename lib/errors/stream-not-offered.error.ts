import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/**
 * A stream (`Accept: text/event-stream`) asked where the route offers none, answered 406 so that a client polls
 * instead: at least once (a stream cannot acknowledge), and for a list of endpoints (multiplexed streams).
 */
export class StreamNotOfferedError extends PistachioError {
  override readonly status = HttpStatus.NOT_ACCEPTABLE;

  constructor(why: string) {
    super(`No stream (text/event-stream) here: ${why}`);
  }
}
