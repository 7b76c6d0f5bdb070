import autocannon from 'autocannon';
import { BenchApp } from '../bench-app.process.js';

/** Requests per second of a bare Nest route answering a constant: what the HTTP stack allows at best. */
export async function ceiling(app: BenchApp, connections: number, seconds: number): Promise<number> {
  const result = await autocannon({ url: `${app.url}/ceiling`, connections, duration: seconds });
  return result['2xx'] / seconds;
}

/**
 * Delivered messages per second with `connections` looping pollers whose polls go round-robin over as many
 * endpoints, the queues fed beforehand with more than the run can take.
 */
export async function throughput(
  app: BenchApp,
  connections: number,
  seconds: number,
  expectedRate: number,
  route: 'messages' | 'naive' = 'messages',
): Promise<number> {
  const perEndpoint = Math.ceil((expectedRate * seconds * 1.5) / connections) + 10;
  await app.call('POST', `/bench/fill?endpoints=${connections}&count=${perEndpoint}`);
  let next = 0;
  const result = await autocannon({
    url: app.url,
    connections,
    duration: seconds,
    requests: [
      { method: 'GET', setupRequest: (request) => ({ ...request, path: `/${route}/e${next++ % connections}?timeout=1000` }) },
    ],
  });
  return result['2xx'] / seconds;
}
