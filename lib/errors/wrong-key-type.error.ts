import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** The Redis key of an endpoint holds something other than a list, written by another client; it is left as it is. */
export class WrongKeyTypeError extends PistachioError {
  override readonly status = HttpStatus.INTERNAL_SERVER_ERROR;

  constructor(readonly key: string, type?: string) {
    super(
      `The Redis key "${key}" holds ${type ? `a ${type}` : 'another type of value'}, not a list, so its endpoint ` +
        'cannot be served: something other than this module wrote it; delete or rename that key',
    );
  }
}
