import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** A receive that the app's shutdown ended (or that started after it began); nothing was consumed. */
export class ShuttingDownError extends PistachioError {
  override readonly status = HttpStatus.SERVICE_UNAVAILABLE;

  constructor() {
    super('The application is shutting down; retry against another instance or after the restart');
  }
}
