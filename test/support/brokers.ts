import { Cluster, Redis } from 'ioredis';
import { DeliveryMode } from '../../lib/index.js';
import { ownerOfSlot } from '../../lib/redis/ioredis-internals.js';
import { masterAt, slotOf } from '../../lib/redis/redis-client.js';
import { TestApp, TestOptions } from './start-app.js';

/** A Redis deployment the tests run against: the run's single Redis, or its Cluster (see support/redis/global-setup.ts). */
export interface TestDeployment {
  name: 'redis' | 'redis cluster';
  /** The `redis` option that puts a registration on it (as JSON, so that an app instance in a process of its own can take it). */
  option(): string | { cluster: { nodes: string[] } };
  /** Runs `use` with a client of its own: on the Cluster, one that routes each command by its key. */
  with<T>(use: (client: Redis | Cluster) => Promise<T>): Promise<T>;
  /** How many connections subscribe to a shard channel, as the master that serves it says. */
  shardSubscribers(channel: string): Promise<number>;
}

export const singleRedis: TestDeployment = {
  name: 'redis',
  option: () => redisUrl(),
  with: (use) => withRedis(use),
  shardSubscribers: (channel) => withRedis(async (redis) => Number((await redis.pubsub('SHARDNUMSUB', channel))[1])),
};

export const redisCluster: TestDeployment = {
  name: 'redis cluster',
  option: () => ({ cluster: { nodes: clusterNodes() } }),
  with: (use) => withCluster(use),
  shardSubscribers: (channel) =>
    withCluster(async (cluster) => {
      const master = masterAt(cluster, ownerOfSlot(cluster, slotOf(channel))!)!;
      return Number(((await master.pubsub('SHARDNUMSUB', channel)) as unknown[])[1]);
    }),
};

export const deployments: TestDeployment[] = [singleRedis, redisCluster];

/** A broker under test: the module options that select it. */
export interface BrokerFixture {
  name: string;
  delivery: DeliveryMode;
  /** The Redis deployment it runs on; none for the memory broker. */
  redis?: TestDeployment;
  options(): Partial<TestOptions>;
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
  ...deployments.map(
    (deployment): BrokerFixture => ({
      name: deployment.name,
      delivery: 'at-most-once',
      redis: deployment,
      options: () => ({ redis: deployment.option() }),
      lengthAfterClose: (_, namespace, endpoint) => deployment.with((client) => client.llen(`${namespace}:${endpoint}`)),
    }),
  ),
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

/** Runs `use` with a Cluster client of its own on the run's Cluster (or the one of `nodes`). */
export async function withCluster<T>(use: (cluster: Cluster) => Promise<T>, nodes = clusterNodes()): Promise<T> {
  const cluster = new Cluster(nodes, { lazyConnect: true });
  try {
    await cluster.connect();
    return await use(cluster);
  } finally {
    cluster.disconnect();
  }
}

/** The URL of the run's Redis (see support/redis/global-setup.ts). */
export function redisUrl(): string {
  return fromEnvironment('REDIS_URL');
}

/** The start-up nodes of the run's Cluster (see support/redis/global-setup.ts). */
export function clusterNodes(): string[] {
  return fromEnvironment('REDIS_CLUSTER_NODES').split(',');
}

function fromEnvironment(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the tests with the jest config, whose globalSetup provides Redis`);
  }
  return value;
}

let namespaces = 0;
/** Each test file has its own module registry, so its own count: this tells two files of one worker apart. */
const file = Math.random().toString(36).slice(2, 8);

/** A namespace no other test uses, so that tests sharing one broker server never see each other's messages. */
export function freshNamespace(): string {
  return `test${process.pid}-${file}-${++namespaces}`;
}
