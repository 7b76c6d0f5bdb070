import { Agent } from 'node:http';
import { BenchApp } from '../bench-app.process.js';
import { LatencyHistogram, Percentiles } from '../latency-histogram.js';
import { poll } from '../poll.js';

/**
 * Publish-to-receive latency at a fixed rate: the app publishes timestamps round-robin to `endpoints` endpoints while
 * one keep-alive poller per endpoint loops; each message's age on arrival is recorded.
 */
export async function latency(app: BenchApp, endpoints: number, rate: number, seconds: number): Promise<Percentiles> {
  const histogram = new LatencyHistogram();
  const agent = new Agent({ keepAlive: true, maxSockets: endpoints });
  let publishing = true;
  const pollers = Array.from({ length: endpoints }, async (_, i) => {
    while (publishing) {
      const answer = await poll(`${app.url}/messages/e${i}?timeout=1000`, agent);
      if (answer.status === 200) histogram.record(answer.receivedAt - Number(answer.body));
    }
  });
  await app.call('POST', `/bench/rate?rate=${rate}&endpoints=${endpoints}&seconds=${seconds}`);
  publishing = false;
  await Promise.all(pollers);
  agent.destroy();
  return histogram.percentiles();
}
