import { connect, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

/** An answer as the peer client read it: header names in lower case, the body as latin1 (the bench's messages are ASCII). */
export interface Answer {
  status: number;
  headers: Map<string, string>;
  body: string;
  /** `performance.now()` once the answer had been read whole. */
  receivedAt: number;
}

interface Parsed extends Answer {
  /** The server said `Connection: close`: the next request needs a new connection. */
  close: boolean;
}

/**
 * One keep-alive HTTP/1.1 connection carrying one request at a time: the peer scenario's client, the same for every
 * server. No agent, no parser objects, no stream per request, so that on a 2-core machine the driver takes as little
 * as it can of the CPU the servers are measured with. It reads `Content-Length` and chunked bodies, which is all the
 * servers measured send; a connection that the server closed is opened again by the next request.
 */
export class HttpConnection {
  private socket: Socket | undefined;
  private input = '';
  private pending: { resolve: (answer: Answer) => void; reject: (error: Error) => void } | undefined;
  private closed = false;

  constructor(
    private readonly port: number,
    private readonly host = '127.0.0.1',
  ) {}

  /** Sends a request; `headers` are whole lines (`Name: value\r\n`); a body is sent as `text/plain`. */
  request(method: 'GET' | 'POST', path: string, headers = '', body?: string): Promise<Answer> {
    if (this.closed) {
      return Promise.reject(new Error('the connection was closed'));
    }
    if (this.pending) {
      return Promise.reject(new Error('one request at a time on a connection'));
    }
    const socket = this.socket ?? this.open();
    const content = body === undefined ? '' : `Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    socket.write(`${method} ${path} HTTP/1.1\r\nHost: ${this.host}\r\n${headers}${content}\r\n${body ?? ''}`, 'latin1');
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }

  /** Closes the connection for good: a request waiting for its answer rejects. */
  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private open(): Socket {
    const socket = connect(this.port, this.host);
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.read(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      // Only the current socket's end concerns the pending request: one replaced after `Connection: close` does not.
      if (this.socket !== socket) {
        return;
      }
      this.socket = undefined;
      this.input = '';
      const pending = this.pending;
      this.pending = undefined;
      pending?.reject(new Error('the connection closed before the answer'));
    });
    this.socket = socket;
    return socket;
  }

  private read(chunk: string): void {
    this.input += chunk;
    const answer = this.parse();
    if (answer === undefined) {
      return;
    }
    const pending = this.pending;
    this.pending = undefined;
    if (answer.close) {
      const socket = this.socket;
      this.socket = undefined;
      this.input = '';
      socket?.destroy();
    }
    pending?.resolve(answer);
  }

  /** The answer at the head of the input once it is whole (then taken off the input), else undefined. */
  private parse(): Parsed | undefined {
    const headEnd = this.input.indexOf('\r\n\r\n');
    if (headEnd < 0) {
      return undefined;
    }
    const lines = this.input.slice(0, headEnd).split('\r\n');
    const status = Number(lines[0].slice(9, 12));
    const headers = new Map<string, string>();
    for (let i = 1; i < lines.length; i++) {
      const colon = lines[i].indexOf(':');
      headers.set(lines[i].slice(0, colon).trim().toLowerCase(), lines[i].slice(colon + 1).trim());
    }
    const start = headEnd + 4;
    let body: string;
    let end: number;
    if (headers.get('transfer-encoding')?.toLowerCase().includes('chunked')) {
      const chunked = dechunk(this.input, start);
      if (chunked === undefined) {
        return undefined;
      }
      [body, end] = chunked;
    } else {
      const length = Number(headers.get('content-length') ?? 0);
      if (this.input.length < start + length) {
        return undefined;
      }
      body = this.input.slice(start, start + length);
      end = start + length;
    }
    this.input = this.input.slice(end);
    const close = headers.get('connection')?.toLowerCase() === 'close';
    return { status, headers, body, receivedAt: performance.now(), close };
  }
}

/** A chunked body from `start` and where it ends, once the last chunk (and the empty trailer) has come. */
function dechunk(input: string, start: number): [string, number] | undefined {
  let body = '';
  let at = start;
  for (;;) {
    const lineEnd = input.indexOf('\r\n', at);
    if (lineEnd < 0) {
      return undefined;
    }
    const size = parseInt(input.slice(at, lineEnd), 16);
    if (size === 0) {
      const trailerEnd = input.indexOf('\r\n\r\n', lineEnd);
      return trailerEnd < 0 ? undefined : [body, trailerEnd + 4];
    }
    if (input.length < lineEnd + 2 + size + 2) {
      return undefined;
    }
    body += input.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}
