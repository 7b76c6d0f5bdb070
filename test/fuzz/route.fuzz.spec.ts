import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { redisUrl } from '../support/brokers.js';
import { ClientBehaviour, rawRequest, RawAnswer } from '../support/raw-request.js';
import { request } from '../support/http-client.js';
import { startPistachio } from '../support/start-app.js';
import { adapters } from '../support/adapters.js';

const REQUESTS = 10_000;
const CONCURRENCY = 64;
const ENDPOINTS = Array.from({ length: 10 }, (_, i) => `e${i}`);

/** A Redis database of the fuzz's own, so that every key in it must be one of the module's. */
function fuzzRedisUrl(): string {
  const url = new URL(redisUrl());
  url.pathname = '/7';
  return url.toString();
}

/** `value` in `times` cases out of `times + otherwise`, else undefined. */
function sometimes<T>(times: number, otherwise: number, value: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> {
  return fc.oneof({ weight: times, arbitrary: value }, { weight: otherwise, arbitrary: fc.constant(undefined) });
}

const hostileSegment = fc.oneof(
  fc.constantFrom(
    '..', '.', '%2e%2e', '%2E.', '%00', '*', ':', '%20', 'a%20b', '%E2%9C%93', '%', '%zz', '%23', '%3F', '%2F',
    'e0%2F..%2Fe1', 'x'.repeat(129), 'y'.repeat(9_000), 'e0;x=1', '~', '$', 'e0\t', 'e0 e1', '\u00e9',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }).map((text) => encodeURIComponent(text)),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const path = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...ENDPOINTS).map((endpoint) => `/messages/${endpoint}`) },
  { weight: 4, arbitrary: hostileSegment.map((segment) => `/messages/${segment}`) },
  { weight: 1, arbitrary: fc.constantFrom('/', '/messages', '/messages/', '/messages//e0', '/../messages/e0', '//messages/e0', '/messages/e0/e1', '/MESSAGES/e0') },
);
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('?timeout=1000', '?timeout=0', '?timeout=1e3', '?timeout=99999999999', '?timeout=1000&timeout=1000', '?timeout[]=1000', '?x=' + 'q'.repeat(10_000)),
  fc.string({ maxLength: 30 }).map((text) => `?${encodeURIComponent(text)}=${encodeURIComponent(text)}`),
);
const header = fc.oneof(
  fc.constantFrom(
    ['Origin', 'https://app.example'], ['If-None-Match', '*'], ['If-Modified-Since', 'Sat, 1 Jan 2000 00:00:00 GMT'],
    ['Host', 'evil.example'], ['Content-Length', '5'], ['Transfer-Encoding', 'chunked'], ['X-Big', 'b'.repeat(20_000)],
    ['Expect', '100-continue'], ['Connection', 'keep-alive'], ['Range', 'bytes=0-1'], ['Authorization', 'Bearer x'],
  ),
  fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,19}$/), fc.string({ maxLength: 60 })),
  fc.tuple(fc.string({ minLength: 1, maxLength: 20 }), fc.string({ maxLength: 60 })),
);
const fuzzRequest = fc.record({
  method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'BREW', 'get'),
  path,
  query,
  headers: fc.oneof(
    { weight: 2, arbitrary: fc.constant<(readonly [string, string])[]>([]) },
    { weight: 1, arbitrary: fc.array<readonly [string, string]>(header, { maxLength: 4 }) },
  ),
  body: sometimes(1, 9, fc.string({ maxLength: 50 })),
  behaviour: fc.constantFrom<ClientBehaviour>('normal', 'normal', 'normal', 'slow', 'abort-mid-request', 'leave-while-waiting'),
  publishBefore: sometimes(1, 2, fc.constantFrom(...ENDPOINTS)),
});

type FuzzRequest = typeof fuzzRequest extends fc.Arbitrary<infer T> ? T : never;

function toBytes({ method, path, query, headers, body }: FuzzRequest): string {
  const lines = [`${method} ${path}${query} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  lines.push(...headers.map(([name, value]) => `${name}: ${value}`));
  return `${lines.join('\r\n')}\r\n\r\n${body ?? ''}`;
}

describe.each(adapters)('The route under fuzzing on $name', (adapter) => {
  const namespace = 'fuzz';
  let redis: Redis;
  beforeAll(async () => {
    redis = new Redis(fuzzRedisUrl());
    await redis.flushdb();
  });
  afterAll(() => redis.disconnect());

  it(`stays up, answers no unexpected 5xx and loses nothing over ${REQUESTS} hostile requests`, async () => {
    const app = await startPistachio({
      namespace,
      path: '/messages',
      timeout: 1_000,
      redis: fuzzRedisUrl(),
      cors: true,
      maxWaiters: 200,
      maxWaitersPerEndpoint: 20,
      maxMessageBytes: 4_096,
    }, { adapter });
    const { port } = app.app.getHttpServer().address() as AddressInfo;
    const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
    const requests = fc.sample(fuzzRequest, { numRuns: REQUESTS, seed });
    const published: string[] = [];
    const delivered: string[] = [];
    const statuses: number[] = [];
    const unexpected: { request: string; answer: RawAnswer }[] = [];

    let next = 0;
    async function client(): Promise<void> {
      while (next < requests.length) {
        const fuzz = requests[next++];
        if (fuzz.publishBefore) {
          const id = `m${published.length}`;
          published.push(id);
          await app.pistachio.publish(fuzz.publishBefore, id);
        }
        const bytes = toBytes(fuzz);
        const answer = await rawRequest(port, bytes, fuzz.behaviour);
        statuses.push(answer?.status ?? 0);
        if (answer && answer.status >= 500 && answer.status !== 503 && answer.status !== 504) {
          unexpected.push({ request: bytes.slice(0, 300), answer });
        }
        if (answer?.status === 200) {
          delivered.push(answer.body);
        }
      }
    }

    try {
      global.gc?.();
      const heapBefore = process.memoryUsage().heapUsed;
      await Promise.all(Array.from({ length: CONCURRENCY }, client));

      expect({ seed, unexpected: unexpected.slice(0, 5) }).toEqual({ seed, unexpected: [] });
      // The mix reached every kind of answer, messages included.
      expect(new Set(statuses)).toEqual(new Set([...statuses, 200, 400, 404, 405, 504]));
      published.push('still up');
      await app.pistachio.publish('e0', 'still up');
      const alive = await request(`http://127.0.0.1:${port}/messages/e0`);
      expect(alive.status).toBe(200);
      delivered.push(alive.body);
      global.gc?.();
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(16 * 1024 * 1024);
    } finally {
      // Closing stops every read and gives back what was taken for clients that had gone: then the count is final.
      await app.app.close();
    }

    expect(new Set(delivered).size).toBe(delivered.length);
    const queued = await Promise.all(ENDPOINTS.map((endpoint) => redis.lrange(`${namespace}:${endpoint}`, 0, -1)));
    expect([...delivered, ...queued.flat()].sort()).toEqual([...published].sort());
    const keys = await redis.keys('*');
    expect(keys.filter((key) => !ENDPOINTS.some((endpoint) => key === `${namespace}:${endpoint}`))).toEqual([]);
  }, 180_000);
});
