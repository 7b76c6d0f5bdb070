import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** A cursor that no message of the channel carried; nothing was read. */
export class InvalidCursorError extends PistachioError {
  override readonly status = HttpStatus.BAD_REQUEST;

  constructor(
    readonly cursor: unknown,
    why = 'pass the Pistachio-Id of a message as it came',
  ) {
    const shown = typeof cursor === 'string' ? JSON.stringify(cursor.slice(0, 64)) : typeof cursor;
    super(`Invalid cursor ${shown}: ${why}`);
  }
}
