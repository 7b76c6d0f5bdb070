import { randomBytes } from 'node:crypto';
import type { Delivery } from './interfaces/index.js';

const CRLF = '\r\n';

/**
 * A batch as one `multipart/mixed` body: a part per message, each with its `Content-Type`, `Content-Length` and, at
 * least once, its receipt and delivery count. The boundary is random and checked against the messages, so that no
 * message can end its part early.
 */
export function toMultipart(deliveries: Delivery[], contentType: string): { type: string; body: Buffer } {
  let boundary: string;
  do {
    boundary = randomBytes(18).toString('base64url');
  } while (deliveries.some(({ message }) => message.includes(boundary)));
  const chunks = deliveries.flatMap(({ message, receipt, deliveryCount }) => {
    const headers = [`Content-Type: ${contentType}`, `Content-Length: ${message.length}`];
    if (receipt !== undefined) {
      headers.push(`Pistachio-Receipt: ${receipt}`, `Pistachio-Delivery-Count: ${deliveryCount}`);
    }
    return [Buffer.from(`--${boundary}${CRLF}${headers.join(CRLF)}${CRLF}${CRLF}`), message, Buffer.from(CRLF)];
  });
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
  return { type: `multipart/mixed; boundary=${boundary}`, body: Buffer.concat(chunks) };
}
