/** One part of a `multipart/mixed` answer: its headers (names in lower case) and its body's bytes. */
export interface Part {
  headers: Map<string, string>;
  body: Uint8Array;
}

const CRLF = '\r\n';

/** The boundary named by a `multipart/mixed` Content-Type, or undefined for any other type. */
export function multipartBoundary(contentType: string | null): string | undefined {
  if (!contentType || !/^\s*multipart\/mixed\s*(;|$)/i.test(contentType)) {
    return undefined;
  }
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

/**
 * The parts of a batch answer, read by each part's Content-Length (bodies are any bytes, the boundary's included,
 * so the boundary is never searched for); throws a SyntaxError when the body does not follow that layout.
 */
export function parseMultipart(bytes: Uint8Array, boundary: string): Part[] {
  const reader = new Reader(bytes);
  const parts: Part[] = [];
  for (;;) {
    reader.expect(`--${boundary}`);
    if (reader.skip('--')) {
      return parts;
    }
    reader.expect(CRLF);
    const headers = new Map<string, string>();
    for (let line = reader.line(); line !== ''; line = reader.line()) {
      const colon = line.indexOf(':');
      if (colon < 1) {
        throw new SyntaxError(`Malformed batch answer: part header line "${line}"`);
      }
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const length = Number(headers.get('content-length') ?? NaN);
    if (!Number.isInteger(length) || length < 0) {
      throw new SyntaxError('Malformed batch answer: a part without a valid Content-Length');
    }
    parts.push({ headers, body: reader.take(length) });
    reader.expect(CRLF);
  }
}

/** A cursor over the bytes of a batch answer; its framing (boundaries, headers) is ASCII. */
class Reader {
  private position = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** Moves past `text` if it comes next. */
  skip(text: string): boolean {
    const matches = [...text].every((char, i) => this.bytes[this.position + i] === char.charCodeAt(0));
    if (matches) {
      this.position += text.length;
    }
    return matches;
  }

  expect(text: string): void {
    if (!this.skip(text)) {
      throw new SyntaxError(`Malformed batch answer: expected ${JSON.stringify(text)} at byte ${this.position}`);
    }
  }

  /** The text up to the next CRLF, which it moves past. */
  line(): string {
    let end = this.position;
    while (end < this.bytes.length && !(this.bytes[end] === 13 && this.bytes[end + 1] === 10)) {
      end++;
    }
    const line = new TextDecoder().decode(this.bytes.subarray(this.position, end));
    this.position = end;
    this.expect(CRLF);
    return line;
  }

  take(length: number): Uint8Array {
    if (this.position + length > this.bytes.length) {
      throw new SyntaxError('Malformed batch answer: a part is shorter than its Content-Length');
    }
    // A copy: a message handed out as bytes must not expose (or keep alive) the rest of the batch.
    const body = this.bytes.slice(this.position, this.position + length);
    this.position += length;
    return body;
  }
}
