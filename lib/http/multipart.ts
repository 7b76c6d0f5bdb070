import { randomBytes } from 'node:crypto';
import type { AnsweredMessage } from './polls/endpoint-polls.interface.js';

const CRLF = '\r\n';

/**
 * A batch as one `multipart/mixed` body: a part per message, each with its `Content-Type`, `Content-Length` and its
 * own headers (a receipt and delivery count, or an id). The boundary is random and checked against the messages, so
 * that no message can end its part early.
 */
export function toMultipart(messages: AnsweredMessage[], contentType: string): { type: string; body: Buffer } {
  let boundary: string;
  do {
    boundary = randomBytes(18).toString('base64url');
  } while (messages.some(({ message }) => message.includes(boundary)));
  const chunks = messages.flatMap(({ message, headers }) => {
    const lines = [`Content-Type: ${contentType}`, `Content-Length: ${message.length}`];
    Object.entries(headers).forEach(([name, value]) => lines.push(`${name}: ${value}`));
    return [Buffer.from(`--${boundary}${CRLF}${lines.join(CRLF)}${CRLF}${CRLF}`), message, Buffer.from(CRLF)];
  });
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
  return { type: `multipart/mixed; boundary=${boundary}`, body: Buffer.concat(chunks) };
}
