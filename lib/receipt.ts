import { randomBytes } from 'node:crypto';
import { isEndpointName } from './endpoint-name.js';
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

/** Joins an endpoint to a receipt in a multiplexed poll's answers: no endpoint name holds a `~`. */
const ENDPOINT_SEPARATOR = '~';

/** A receipt that names its endpoint, `<endpoint>~<id>.<nonce>`, as a multiplexed poll hands it out. */
export function endpointReceipt(endpoint: string, receipt: string): string {
  return `${endpoint}${ENDPOINT_SEPARATOR}${receipt}`;
}

/**
 * A receipt as a client passes it back, checked: the endpoint it names, if it names one, and the receipt as the broker
 * knows it. An InvalidReceiptError for anything else.
 */
export function splitReceipt(text: unknown): { endpoint?: string; receipt: string } {
  const at = typeof text === 'string' ? text.indexOf(ENDPOINT_SEPARATOR) : -1;
  if (at === -1) {
    parseReceipt(text);
    return { receipt: text as string };
  }
  const [endpoint, receipt] = [(text as string).slice(0, at), (text as string).slice(at + 1)];
  if (!isEndpointName(endpoint) || !RECEIPT.test(receipt)) {
    throw new InvalidReceiptError(text);
  }
  return { endpoint, receipt };
}
