import { Agent } from 'node:http';
import type { DeliveryMode } from '../../lib/index.js';
import { BenchApp } from '../bench-app.process.js';
import { LatencyHistogram, Percentiles } from '../latency-histogram.js';
import { assertUnsurprised, LoopingPoller } from '../looping-poller.js';
import { poll } from '../poll.js';

/**
 * Publish-to-receive latency at a fixed rate: the app publishes timestamps round-robin to `endpoints` endpoints while
 * one keep-alive poller per endpoint loops (at least once, acknowledging each message on its next poll); each
 * message's age on arrival is recorded.
 */
export async function latency(
  app: BenchApp,
  endpoints: number,
  rate: number,
  seconds: number,
  delivery: DeliveryMode = 'at-most-once',
): Promise<Percentiles> {
  const histogram = new LatencyHistogram();
  const agent = new Agent({ keepAlive: true, maxSockets: endpoints });
  let publishing = true;
  const pollers = Array.from(
    { length: endpoints },
    (_, i) => new LoopingPoller(`${app.url}/messages/e${i}?timeout=1000`, { delivery }),
  );
  const looping = pollers.map(async (poller) => {
    while (publishing) {
      const answer = await poll(poller.next(), agent);
      for (const { body } of poller.answered(answer.status, answer.headers, answer.body)) {
        histogram.record(answer.receivedAt - Number(body));
      }
    }
  });
  await app.call('POST', `/bench/rate?rate=${rate}&endpoints=${endpoints}&seconds=${seconds}`);
  publishing = false;
  await Promise.all(looping);
  agent.destroy();
  assertUnsurprised(pollers);
  return histogram.percentiles();
}
