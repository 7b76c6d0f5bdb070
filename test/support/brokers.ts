import { Redis } from 'ioredis';
import { DeliveryMode, PistachioRootOptions } from '../../lib/index.js';
import { TestApp } from './start-app.js';

/** A broker under test: the module options that select it. */
export interface BrokerFixture {
  name: string;
  delivery: DeliveryMode;
  options(): Partial<PistachioRootOptions>;
  /** How many messages a queue holds once `app` has closed: what the next instance would find. */
  lengthAfterClose(app: TestApp, namespace: string, endpoint: string): Promise<number>;
}

/** The storage backends, in the default delivery mode: for the suites that choose the mode themselves. */
export const backends: BrokerFixture[] = [
  {
    name: 'memory',
    delivery: 'at-most-once',
    options: () => ({}),
    lengthAfterClose: (app, _, endpoint) => app.pistachio.length(endpoint),
  },
  {
    name: 'redis',
    delivery: 'at-most-once',
    options: () => ({ redis: redisUrl() }),
    lengthAfterClose: (_, namespace, endpoint) => withRedis((redis) => redis.llen(`${namespace}:${endpoint}`)),
  },
];

/** Every backend in both delivery modes: every behaviour of the route and the service holds in each. */
export const brokers: BrokerFixture[] = backends.flatMap((backend) => [
  backend,
  {
    ...backend,
    name: `${backend.name} (at least once)`,
    delivery: 'at-least-once',
    options: () => ({ ...backend.options(), delivery: 'at-least-once' }),
  },
]);

/** Runs `use` with a client of its own on the run's Redis (or the one at `url`). */
export async function withRedis<T>(use: (redis: Redis) => Promise<T>, url = redisUrl()): Promise<T> {
  const redis = new Redis(url);
  try {
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** The URL of the run's Redis (see support/redis/global-setup.ts). */
export function redisUrl(): string {
  const url = process.env.REDIS_URL;
  if (!url) {
    throw new Error('REDIS_URL is not set: run the tests with the jest config, whose globalSetup provides Redis');
  }
  return url;
}

let namespaces = 0;

/** A namespace no other test uses, so that tests sharing one broker server never see each other's messages. */
export function freshNamespace(): string {
  return `test${process.pid}-${++namespaces}`;
}
