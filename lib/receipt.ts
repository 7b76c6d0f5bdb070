import { randomBytes } from 'node:crypto';
import { InvalidReceiptError } from './errors/index.js';

/** A receipt names its message (`id`, a counter per endpoint) and one delivery of it (`nonce`, random per delivery). */
export interface Receipt {
  id: string;
  nonce: string;
}

const RECEIPT = /^(\d{1,16})\.([A-Za-z0-9_-]{16})$/;

/** A fresh random nonce: a receipt cannot be guessed from another one, so a client settles only what it received. */
export function newNonce(): string {
  return randomBytes(12).toString('base64url');
}

export function formatReceipt(id: string | number, nonce: string): string {
  return `${id}.${nonce}`;
}

/** The parts of a receipt as a delivery carried it; an InvalidReceiptError for anything else. */
export function parseReceipt(receipt: unknown): Receipt {
  const match = typeof receipt === 'string' ? RECEIPT.exec(receipt) : null;
  if (!match) {
    throw new InvalidReceiptError(receipt);
  }
  return { id: match[1], nonce: match[2] };
}
