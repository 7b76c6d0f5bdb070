import type { IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How a raw client behaves: all at once, in slow pieces, gone mid-request, or leaving while it waits. */
export type ClientBehaviour = 'normal' | 'slow' | 'abort-mid-request' | 'leave-while-waiting';

/**
 * Sends bytes as they are (no validation or normalization, unlike an HTTP client) and reads the answer until the
 * server closes. A client that leaves half-closes and keeps reading, so an answer already sent is still counted.
 * After `patience` ms the client gives up: a request the server still reads by then (e.g. one that announced a body
 * it never sent) has reached no handler, and Node would hold it until its own requestTimeout.
 */
export function rawRequest(
  port: number,
  request: string,
  behaviour: ClientBehaviour,
  patience = 5_000,
): Promise<RawAnswer | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const giveUp = setTimeout(() => socket.destroy(), patience);
    socket.on('close', () => clearTimeout(giveUp));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(parseAnswer(Buffer.concat(chunks).toString('latin1'))));
    const bytes = Buffer.from(request, 'latin1');
    switch (behaviour) {
      case 'normal':
        socket.write(bytes);
        break;
      case 'slow': {
        const third = Math.ceil(bytes.length / 3);
        socket.write(bytes.subarray(0, third));
        setTimeout(() => socket.write(bytes.subarray(third, 2 * third)), 2);
        setTimeout(() => socket.write(bytes.subarray(2 * third)), 4);
        break;
      }
      case 'abort-mid-request':
        socket.end(bytes.subarray(0, Math.floor(bytes.length / 2)));
        break;
      case 'leave-while-waiting':
        socket.write(bytes);
        setTimeout(() => socket.end(), Math.random() * 20);
        break;
    }
  });
}

/** The final answer in what the server sent: past any interim 1xx, its body cut to its Content-Length. */
export function parseAnswer(raw: string): RawAnswer | null {
  let rest = raw;
  for (;;) {
    const head = /^HTTP\/1\.1 (\d{3})[^\r\n]*\r\n((?:[^\r\n]+\r\n)*)\r\n/.exec(rest);
    if (!head) {
      return null;
    }
    rest = rest.slice(head[0].length);
    const status = Number(head[1]);
    if (status >= 200) {
      const headers: IncomingHttpHeaders = {};
      for (const line of head[2].split('\r\n').filter(Boolean)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = headers['content-length'];
      return { status, headers, body: length ? rest.slice(0, Number(length)) : rest };
    }
  }
}
