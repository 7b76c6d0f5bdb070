import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

export class InvalidEndpointError extends PistachioError {
  override readonly status = HttpStatus.BAD_REQUEST;

  constructor(readonly endpoint: unknown) {
    const shown = typeof endpoint === 'string' ? JSON.stringify(endpoint.slice(0, 64)) : typeof endpoint;
    super(`Invalid endpoint name ${shown}: use 1 to 128 of the characters A-Z a-z 0-9 _ . : - (not "." or "..")`);
  }
}
