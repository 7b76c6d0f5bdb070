import { PistachioError } from './pistachio.error.js';

/** A receive that the app's shutdown ended (or that started after it began); nothing was consumed. */
export class ShuttingDownError extends PistachioError {
  constructor() {
    super('The application is shutting down; retry against another instance or after the restart');
  }
}
