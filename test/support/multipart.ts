import type { HttpAnswer } from './http-client.js';

export interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

/** The parts of a `multipart/mixed` answer, read by each part's Content-Length; throws on anything malformed. */
export function parseMultipart({ headers, bytes }: HttpAnswer): Part[] {
  const boundary = /^multipart\/mixed; boundary=(\S+)$/.exec(String(headers['content-type']))?.[1];
  if (!boundary) {
    throw new Error(`Not a multipart answer: ${headers['content-type']}`);
  }
  const parts: Part[] = [];
  let at = 0;
  for (;;) {
    const delimiter = `--${boundary}`;
    if (bytes.toString('latin1', at, at + delimiter.length + 4) === `${delimiter}--\r\n`) {
      if (at + delimiter.length + 4 !== bytes.length) {
        throw new Error('Bytes after the closing delimiter');
      }
      return parts;
    }
    if (bytes.toString('latin1', at, at + delimiter.length + 2) !== `${delimiter}\r\n`) {
      throw new Error(`No delimiter at ${at}`);
    }
    const headersEnd = bytes.indexOf('\r\n\r\n', at);
    const partHeaders = Object.fromEntries(
      bytes
        .toString('latin1', at + delimiter.length + 2, headersEnd)
        .split('\r\n')
        .map((line) => line.split(': ') as [string, string])
        .map(([name, value]) => [name.toLowerCase(), value]),
    );
    const start = headersEnd + 4;
    const end = start + Number(partHeaders['content-length']);
    parts.push({ headers: partHeaders, body: bytes.subarray(start, end) });
    if (bytes.toString('latin1', end, end + 2) !== '\r\n') {
      throw new Error(`Part ${parts.length} does not end at its Content-Length`);
    }
    at = end + 2;
  }
}
