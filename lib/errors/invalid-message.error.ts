import { PistachioError } from './pistachio.error.js';

export class InvalidMessageError extends PistachioError {
  constructor(reason: string, options?: ErrorOptions) {
    super(`Invalid message: ${reason}; publish a string, a Buffer, or a value that JSON.stringify accepts`, options);
  }
}
