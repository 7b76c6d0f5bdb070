import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** A receipt that no delivery could have carried; nothing was acknowledged. */
export class InvalidReceiptError extends PistachioError {
  override readonly status = HttpStatus.BAD_REQUEST;

  constructor(readonly receipt: unknown) {
    const shown = typeof receipt === 'string' ? JSON.stringify(receipt.slice(0, 64)) : typeof receipt;
    super(`Invalid receipt ${shown}: pass the Pistachio-Receipt of a delivery as it came`);
  }
}
