import autocannon from 'autocannon';
import type { DeliveryMode } from '../../lib/index.js';
import { BenchApp } from '../bench-app.process.js';
import { AnswerHeaders, assertUnsurprised, LoopingPoller } from '../looping-poller.js';

/** Requests per second of a bare Nest route answering a constant: what the HTTP stack allows at best. */
export async function ceiling(app: BenchApp, connections: number, seconds: number): Promise<number> {
  const result = await autocannon({ url: `${app.url}/ceiling`, connections, duration: seconds });
  return result['2xx'] / seconds;
}

export interface ThroughputOptions {
  route?: 'messages' | 'naive';
  /** The app's delivery mode; at least once, each poll acknowledges the previous answer's receipts. */
  delivery?: DeliveryMode;
  /** Batch polls of up to `max` messages; single polls when undefined. */
  max?: number;
}

/**
 * Delivered messages per second (batch parts counted one by one) with `connections` looping pollers, each on an
 * endpoint of its own whose queue was fed beforehand with more than `expectedRate` lets the run take; throws unless
 * every queue still holds messages at the end (a backlog throughout) and every answer was as the mode says.
 */
export async function throughput(
  app: BenchApp,
  connections: number,
  seconds: number,
  expectedRate: number,
  { route = 'messages', delivery = 'at-most-once', max }: ThroughputOptions = {},
): Promise<number> {
  const perEndpoint = Math.ceil((expectedRate * seconds * 1.5) / connections) + 10;
  await app.call('POST', `/bench/fill?endpoints=${connections}&count=${perEndpoint}`);
  const pollers: LoopingPoller[] = [];
  await autocannon({
    url: app.url,
    connections,
    duration: seconds,
    // Each connection gets a poller of its own (autocannon resets its per-request `context` at every request).
    setupClient: (client) => {
      const poller = new LoopingPoller(`/${route}/e${pollers.length}?timeout=1000`, { delivery, max });
      pollers.push(poller);
      client.setRequests([
        {
          method: 'GET',
          setupRequest: (request) => ({ ...request, path: poller.next() }),
          onResponse: (status, body, _context, headers) => void poller.answered(status, lowerCased(headers ?? {}), body),
        },
      ]);
    },
  });
  assertUnsurprised(pollers);
  if ((await app.call<number>('GET', `/bench/backlog?endpoints=${connections}`)) === 0) {
    throw new Error(`a queue ran dry during the ${route} run (max ${max ?? 'none'}): the fill was too small`);
  }
  return pollers.reduce((sum, poller) => sum + poller.messages, 0) / seconds;
}

/** autocannon gives header names as the server wrote them. */
function lowerCased(headers: AnswerHeaders): AnswerHeaders {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
