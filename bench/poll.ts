import { Agent, IncomingHttpHeaders, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Poll {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** When the answer had arrived, in the clock of the app's timestamps. */
  receivedAt: number;
}

/** One GET; `agent: false` gives it a connection of its own, as idle waiting clients each have. */
export function poll(url: string, agent: Agent | false = false): Promise<Poll> {
  return new Promise((resolve, reject) => {
    request(url, { agent }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        const receivedAt = performance.timeOrigin + performance.now();
        resolve({ status: response.statusCode!, headers: response.headers, body, receivedAt });
      });
    })
      .on('error', reject)
      .end();
  });
}
