import { multipartBoundary, parseMultipart as parseParts } from '../../lib/client/multipart.js';
import type { HttpAnswer } from './http-client.js';

export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** The parts of a `multipart/mixed` answer, read strictly by the reference client's parser; throws on anything else. */
export function parseMultipart({ headers, bytes }: HttpAnswer): Part[] {
  const boundary = multipartBoundary(String(headers['content-type']));
  if (!boundary) {
    throw new Error(`Not a multipart answer: ${headers['content-type']}`);
  }
  return parseParts(bytes, boundary).map((part) => ({
    headers: Object.fromEntries(part.headers),
    body: Buffer.from(part.body),
  }));
}
