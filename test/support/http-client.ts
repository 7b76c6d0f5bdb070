import { IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { parseAnswer, RawAnswer } from './raw-request.js';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body as it came, for binary and multipart answers. */
  bytes: Buffer;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** One request on a connection of its own, so that aborting it closes exactly that connection. */
export function request(url: string, { method = 'GET', headers, signal }: RequestOptions = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers, signal, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: incoming.statusCode!, headers: incoming.headers, body: bytes.toString(), bytes });
      });
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

export interface LeavingPoll {
  /** The answer, or `null` when the server sent none before it closed the connection. */
  answer: Promise<RawAnswer | null>;
  /** Half-closes the connection as a departing client does, but keeps reading: an answer already written counts. */
  leave(): void;
}

/** A GET over a raw socket, for clients that go away mid-poll; the path goes out as written, `..` included. */
export function leavingPoll(url: string): LeavingPoll {
  const [, host, port, path] = /^http:\/\/([^/:]+):(\d+)(\/.*)$/.exec(url)!;
  const socket = connect(Number(port), host);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nConnection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const answer = new Promise<RawAnswer | null>((resolve, reject) => {
    socket.on('error', reject);
    socket.on('close', () => resolve(parseAnswer(Buffer.concat(chunks).toString())));
  });
  return { answer, leave: () => socket.end() };
}
