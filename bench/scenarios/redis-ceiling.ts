import { Redis } from 'ioredis';
import { execFileSync } from 'node:child_process';

/** `redis-benchmark` RPUSH and LPOP requests per second (50 clients, no pipelining), for reference. */
export function redisBenchmark(port: number, requests: number): { rpush: number; lpop: number } {
  const output = execFileSync('redis-benchmark', ['-p', String(port), '-t', 'rpush,lpop', '-n', String(requests), '-q'], {
    encoding: 'utf8',
  });
  const rate = (command: string) => Number(new RegExp(`${command}: ([\\d.]+) requests per second`).exec(output)?.[1]);
  return { rpush: rate('RPUSH'), lpop: rate('LPOP') };
}

/** Messages per second through one producer connection (RPUSH) and one consumer connection (BLPOP). */
export async function producerConsumerPair(url: string, seconds: number): Promise<number> {
  const producer = new Redis(url);
  const consumer = new Redis(url);
  const deadline = Date.now() + seconds * 1_000;
  let consumed = 0;
  const consuming = (async () => {
    while (Date.now() < deadline) {
      if (await consumer.blpop('bench-pair', 1)) consumed++;
    }
  })();
  while (Date.now() < deadline) {
    await producer.rpush('bench-pair', 'm');
  }
  await consuming;
  await producer.del('bench-pair');
  producer.disconnect();
  consumer.disconnect();
  return consumed / seconds;
}
