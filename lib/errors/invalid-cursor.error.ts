import { PistachioError } from './pistachio.error.js';

/** A cursor that no message of the channel carried (the route answers 400); nothing was read. */
export class InvalidCursorError extends PistachioError {
  constructor(
    readonly cursor: unknown,
    why = 'pass the Pistachio-Id of a message as it came',
  ) {
    const shown = typeof cursor === 'string' ? JSON.stringify(cursor.slice(0, 64)) : typeof cursor;
    super(`Invalid cursor ${shown}: ${why}`);
  }
}
