import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** A publish refused for one of its options (unknown, of a bad value, or one the registration's mode lacks); nothing was stored. */
export class InvalidPublishOptionError extends PistachioError {
  /** An app that forwards the option from a request answers it with this status. */
  override readonly status = HttpStatus.BAD_REQUEST;

  constructor(
    readonly option: string,
    why: string,
  ) {
    super(`Invalid publish option "${option}": ${why}; nothing was stored`);
  }
}
