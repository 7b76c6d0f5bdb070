import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** A poll's query parameter (`?timeout=`, `?max=`, `?ack=`) out of its range or not for this route; nothing was read. */
export class InvalidQueryError extends PistachioError {
  override readonly status = HttpStatus.BAD_REQUEST;

  constructor(readonly parameter: string, why: string) {
    super(`${parameter} ${why}`);
  }
}
