import { ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import calculateSlot from 'cluster-key-slot';

// Jest requires this file on its own, with no module mapping (`./x.js` finds no `x.ts`), so the whole harness lives
// here, with no relative imports; tests import RedisServer from here too.

declare global {
  var pistachioTestRedis: TestRedis | undefined;
  var pistachioTestCluster: TestCluster | undefined;
}

/**
 * One Redis and one Redis Cluster for the whole run; test files reach them through REDIS_URL and REDIS_CLUSTER_NODES
 * (`host:port,…`), which the workers inherit.
 */
export default async function globalSetup(): Promise<void> {
  const [redis, cluster] = await Promise.all([startTestRedis(), startTestCluster()]);
  globalThis.pistachioTestRedis = redis;
  globalThis.pistachioTestCluster = cluster;
  process.env.REDIS_URL = redis.url;
  process.env.REDIS_CLUSTER_NODES = cluster.nodes;
  console.log(`\nTests run against Redis from ${redis.origin}: ${redis.url}, and a Cluster from ${cluster.origin}: ${cluster.nodes}`);
}

/**
 * The Redis the tests run against, the first of: `REDIS_URL` if set; a testcontainers Redis when a container runtime
 * answers; a `redis-server` binary on the PATH, started on a free port.
 */
export async function startTestRedis(): Promise<TestRedis> {
  if (process.env.REDIS_URL) {
    return { url: process.env.REDIS_URL, origin: 'REDIS_URL', stop: async () => undefined };
  }
  const container = await startRedisContainer();
  if (container) {
    return container;
  }
  if (onPath('redis-server')) {
    return startRedisServer();
  }
  throw new Error(
    'The tests need Redis and found none. Either set REDIS_URL=redis://host:port, or run a Docker engine ' +
      '(testcontainers starts Redis), or install redis-server (e.g. apt-get install -y redis-server).',
  );
}

async function startRedisContainer(): Promise<TestRedis | undefined> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer('redis:7.0').start();
  return { url: container.getConnectionUrl(), origin: 'testcontainers', stop: async () => void (await container.stop()) };
}

function onPath(binary: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((folder) => existsSync(join(folder, binary)));
}

/** A Redis for tests, and how to be rid of it. */
export interface TestRedis {
  url: string;
  /** Where it came from, for the log. */
  origin: string;
  stop(): Promise<void>;
}

/** Starts a `redis-server` of the run's own (see {@link RedisServer}). */
export async function startRedisServer(): Promise<TestRedis> {
  const server = await RedisServer.start();
  return { url: server.url, origin: `redis-server on port ${server.port}`, stop: () => server.stop() };
}

/** A Redis Cluster for tests: its nodes as REDIS_CLUSTER_NODES gives them, and how to be rid of it. */
export interface TestCluster {
  nodes: string;
  origin: string;
  stop(): Promise<void>;
}

/**
 * The Cluster the tests run against, the first of: `REDIS_CLUSTER_NODES` if set; a Cluster of `redis-server`
 * binaries on the PATH (3 masters with a replica each); the same in a testcontainers container when a container
 * runtime answers.
 */
export async function startTestCluster(): Promise<TestCluster> {
  if (process.env.REDIS_CLUSTER_NODES) {
    return { nodes: process.env.REDIS_CLUSTER_NODES, origin: 'REDIS_CLUSTER_NODES', stop: async () => undefined };
  }
  if (onPath('redis-server') && onPath('redis-cli')) {
    const cluster = await RedisCluster.start();
    return { nodes: cluster.nodes, origin: 'redis-server binaries', stop: () => cluster.stop() };
  }
  const container = await startClusterContainer();
  if (container) {
    return container;
  }
  throw new Error(
    'The tests need a Redis Cluster and found none. Either set REDIS_CLUSTER_NODES=host:port,host:port…, or install ' +
      'redis-server and redis-cli (e.g. apt-get install -y redis-server), or run a Docker engine (testcontainers).',
  );
}

/**
 * A Cluster of six nodes in one container, on the same ports inside and out, announcing 127.0.0.1: clients on the host
 * reach every node at the address the Cluster gives for it.
 */
async function startClusterContainer(): Promise<TestCluster | undefined> {
  const { GenericContainer, getContainerRuntimeClient, Wait } = await import('testcontainers');
  try {
    await getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const base = await freePort({ span: 6 });
  const ports = Array.from({ length: 6 }, (_, i) => base + i);
  const servers = ports
    .map((port) => `redis-server --port ${port} --cluster-enabled yes --cluster-config-file nodes-${port}.conf ` +
      `--cluster-node-timeout 2000 --cluster-announce-ip 127.0.0.1 --save '' --appendonly no --daemonize yes`)
    .join(' && ');
  const create = `redis-cli --cluster create ${ports.map((port) => `127.0.0.1:${port}`).join(' ')} --cluster-replicas 1 --cluster-yes`;
  const container = await new GenericContainer('redis:7.0')
    .withExposedPorts(...ports.flatMap((port) => [{ container: port, host: port }, { container: port + 10_000, host: port + 10_000 }]))
    .withCommand(['sh', '-c', `${servers} && ${create} && echo cluster-created && sleep infinity`])
    .withWaitStrategy(Wait.forLogMessage('cluster-created'))
    .start();
  const nodes = ports.map((port) => `127.0.0.1:${port}`).join(',');
  await clusterReady(ports);
  return { nodes, origin: 'testcontainers', stop: async () => void (await container.stop()) };
}

export interface RedisServerOptions {
  /** More `redis-server` arguments; a `--save` or `--appendonly` here replaces that default (nothing saved). */
  args?: string[];
  /** Its working directory, where an AOF lives across restarts. Default: a fresh temporary one, removed by stop(). */
  dir?: string;
  /** A configuration file's text, read first (a Sentinel needs a file it can rewrite). */
  config?: string;
  /** Its port; default a free one (with its Cluster bus port, port + 10000, free too). */
  port?: number;
}

/** Arguments given unless the options give their own. */
const DEFAULTS = [
  ['--save', ''],
  ['--appendonly', 'no'],
  // A replica's full sync starts at once, not after the 5 s Redis waits for more replicas to share it.
  ['--repl-diskless-sync-delay', '0'],
];
/** What redis-server prints once it accepts connections (a Sentinel: once it has its id). */
const READY = /Ready to accept connections|Sentinel ID is/;
/**
 * Runs redis-server under a shell that prints its pid, kills it when the shell's standard input closes (so that it
 * dies with the test run even when that run is killed outright), and exits when it does, with its status.
 */
const SUPERVISOR =
  'exec 3<&0; "$0" "$@" & server=$!; echo "pid $server"; ' +
  '{ while read -r _; do :; done <&3; kill $server; } & watcher=$!; exec 3<&-; ' +
  'wait $server; status=$?; kill $watcher 2>/dev/null; exit $status';

/**
 * A `redis-server` on a loopback port of its own, for tests that kill and restart it: `kill()` is a SIGKILL of the
 * server itself, `restart()` starts it again on the same port, arguments and directory.
 */
export class RedisServer {
  private process: { child: ChildProcess; pid: number; exited: Promise<void> } | undefined;

  private constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly dir: string,
    private readonly ownsDir: boolean,
  ) {}

  static async start({ args = [], dir, config, port }: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(
      port ?? (await freePort()),
      args,
      dir ?? (await mkdtemp(join(tmpdir(), 'pistachio-redis-'))),
      dir === undefined,
    );
    try {
      if (config !== undefined) {
        await writeFile(join(server.dir, 'redis.conf'), config);
        server.args.unshift(join(server.dir, 'redis.conf'));
      }
      await server.restart();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** Whether it runs (it was not killed or stopped since it last started). */
  get running(): boolean {
    return this.process !== undefined;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Kills the server with SIGKILL, as a crash would; resolves once it has exited (at once if it already has). */
  async kill(): Promise<void> {
    if (this.process?.child.exitCode === null) {
      try {
        process.kill(this.process.pid, 'SIGKILL');
      } catch (error) {
        // ESRCH: it has just exited of itself (a SHUTDOWN, a crash), and its shell is about to.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
          throw error;
        }
      }
    }
    await this.end();
  }

  /**
   * Starts the server again (ending it first if it runs), from then on as a replica of the master on `replicaOf` if
   * given; resolves once it accepts connections.
   */
  async restart({ replicaOf }: { replicaOf?: number } = {}): Promise<void> {
    await this.stopServer();
    if (replicaOf !== undefined) {
      const at = this.args.indexOf('--replicaof');
      this.args.splice(at < 0 ? this.args.length : at, at < 0 ? 0 : 3, '--replicaof', '127.0.0.1', String(replicaOf));
    }
    const sentinel = this.args.includes('--sentinel');
    const defaults = sentinel ? [] : DEFAULTS.filter(([option]) => !this.args.includes(option)).flat();
    // A configuration file comes first, as redis-server wants it.
    const config = this.args[0]?.endsWith('.conf') ? this.args.slice(0, 1) : [];
    const args = [
      ...config,
      ...['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir],
      ...defaults,
      ...this.args.slice(config.length),
    ];
    const child = spawn('sh', ['-c', SUPERVISOR, 'redis-server', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.process = { child, exited, pid: await ready(child) };
  }

  /** Ends the server (if it still runs) and removes the directory it made; fine after kill() and twice. */
  async stop(): Promise<void> {
    await this.stopServer();
    if (this.ownsDir) {
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  private async stopServer(): Promise<void> {
    this.process?.child.stdin!.end();
    await this.end();
  }

  private async end(): Promise<void> {
    await this.process?.exited;
    this.process = undefined;
  }
}

/** Resolves the server's pid once it accepts connections. */
async function ready(child: ChildProcess): Promise<number> {
  let output = '';
  return new Promise<number>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      if (READY.test(output)) {
        resolve(Number(/^pid (\d+)$/m.exec(output)![1]));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
  });
}

/**
 * A free loopback port below every usual ephemeral range (Linux 32768–60999, macOS and Windows from 49152), so that
 * no outgoing connection takes it while a killed server is down before its restart; with `span`, that many in a row.
 * Each comes with its Cluster bus port (port + 10000) free too, which stays below the ephemeral range as well.
 */
async function freePort({ span = 1 }: { span?: number } = {}): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * (12_000 - span));
    const wanted = Array.from({ length: span }, (_, i) => [port + i, port + i + 10_000]).flat();
    if ((await Promise.all(wanted.map(isFree))).every(Boolean)) {
      return port;
    }
  }
}

async function isFree(port: number): Promise<boolean> {
  const server = createServer().listen(port, '127.0.0.1');
  try {
    await once(server, 'listening');
  } catch {
    return false;
  }
  server.close();
  await once(server, 'close');
  return true;
}

/** `redis-cli` with these arguments; resolves to what it printed. */
export async function redisCli(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('redis-cli', args);
  return stdout;
}

/**
 * Resolves once a replica confirms a write to `key` on the master at `port` (WAIT): a replica that has just synced is
 * listed as online, yet Redis 7.0 streams writes to it only from its first acknowledgement, up to a second later.
 */
export async function replicaConfirms(port: number, key = 'pistachio-test:replicated'): Promise<void> {
  const write = `printf 'SET %s 1 PX 1000\\nWAIT 1 100\\n' "$1" | redis-cli -p "$2"`;
  await eventually(async () => {
    const { stdout } = await promisify(execFile)('sh', ['-c', write, 'sh', key, String(port)]);
    return stdout.trim().endsWith('\n1');
  });
}

/** Resolves once every node at `ports` says `cluster_state:ok`. */
async function clusterReady(ports: number[]): Promise<void> {
  for (const port of ports) {
    await eventually(async () => /cluster_state:ok/.test(await redisCli('-p', String(port), 'cluster', 'info').catch(() => '')));
  }
}

/** Resolves once `condition` holds, asking every 50 ms; rejects after `within` ms. */
async function eventually(condition: () => Promise<boolean>, within = 30_000): Promise<void> {
  const giveUp = Date.now() + within;
  while (!(await condition())) {
    if (Date.now() > giveUp) {
      throw new Error(`The Cluster did not come to this within ${within} ms: ${condition}`);
    }
    await delay(50);
  }
}

/** A node of a Cluster, as `CLUSTER NODES` lists it. */
export interface ClusterNode {
  id: string;
  port: number;
  role: 'master' | 'replica';
  /** A replica's master. */
  masterId?: string;
  /** A master's slots, as ranges. */
  slots: [number, number][];
  failed: boolean;
}

/**
 * A Redis Cluster of `redis-server` processes on loopback ports of their own, for the whole run or for fault tests that
 * kill and fail over its masters: `masters` masters with `replicas` replicas each, every node a RedisServer.
 */
export class RedisCluster {
  private constructor(readonly servers: RedisServer[]) {}

  static async start({ masters = 3, replicas = 1, args = [] }: { masters?: number; replicas?: number; args?: string[] } = {}): Promise<RedisCluster> {
    const count = masters * (1 + replicas);
    const base = await freePort({ span: count });
    const servers: RedisServer[] = [];
    try {
      for (let i = 0; i < count; i++) {
        servers.push(
          await RedisServer.start({
            port: base + i,
            args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', ...args],
          }),
        );
      }
      const addresses = servers.map((server) => `127.0.0.1:${server.port}`);
      await redisCli('--cluster', 'create', ...addresses, '--cluster-replicas', String(replicas), '--cluster-yes');
      await clusterReady(servers.map(({ port }) => port));
      const cluster = new RedisCluster(servers);
      // Every node knows its role: the replicas have taken theirs from the masters' gossip.
      await eventually(async () => (await cluster.topology()).filter(({ role }) => role === 'master').length === masters);
      return cluster;
    } catch (error) {
      await Promise.all(servers.map((server) => server.stop()));
      throw error;
    }
  }

  /** Its nodes as `host:port,…`. */
  get nodes(): string {
    return this.servers.map((server) => `127.0.0.1:${server.port}`).join(',');
  }

  server(port: number): RedisServer {
    return this.servers.find((server) => server.port === port)!;
  }

  /** Its nodes as `port` (any running one) sees them. */
  async topology(): Promise<ClusterNode[]> {
    for (const server of this.servers) {
      const listed = await redisCli('-p', String(server.port), 'cluster', 'nodes').catch(() => '');
      if (listed) {
        return listed.trim().split('\n').map(parseClusterNode);
      }
    }
    throw new Error('No node of the Cluster answers');
  }

  /** The master that serves `slot`, as the nodes say now (none while it has failed and no replica took over). */
  async masterOf(slot: number): Promise<ClusterNode | undefined> {
    const nodes = await this.topology();
    return nodes.find(({ role, failed, slots }) => role === 'master' && !failed && slots.some(([from, to]) => slot >= from && slot <= to));
  }

  /** Resolves once every node that runs says `cluster_state:ok`. */
  async settled(): Promise<void> {
    const running = this.servers.filter((server) => server.running);
    await clusterReady(running.map(({ port }) => port));
  }

  /**
   * Kills the master of `slot` with SIGKILL, as a crash would; resolves once a replica serves its slots, with when
   * that was seen, after starting the dead node again (it comes back as a replica of the new master: see replicated).
   */
  async killMaster(slot: number): Promise<{ victim: number; promotedAt: number }> {
    const victim = (await this.masterOf(slot))!;
    await this.server(victim.port).kill();
    await eventually(async () => (await this.masterOf(slot))?.port !== victim.port);
    const promotedAt = Date.now();
    await this.server(victim.port).restart();
    return { victim: victim.port, promotedAt };
  }

  /** Resolves once the master of `slot` has a replica that confirms writes (after a restart, the restarted node's full resync). */
  async replicated(slot: number): Promise<void> {
    let tag = 0;
    while (calculateSlot(`pistachio-test:${tag}`) !== slot) {
      tag++;
    }
    await eventually(async () => (await this.masterOf(slot)) !== undefined);
    await replicaConfirms((await this.masterOf(slot))!.port, `pistachio-test:${tag}`);
    await this.settled();
  }

  /** A manual failover (`CLUSTER FAILOVER` on a replica) of the master of `slot`; resolves once the replica serves it. */
  async failOver(slot: number): Promise<void> {
    const master = (await this.masterOf(slot))!;
    const replica = (await this.topology()).find(({ masterId, failed }) => masterId === master.id && !failed)!;
    await redisCli('-p', String(replica.port), 'cluster', 'failover');
    await eventually(async () => (await this.masterOf(slot))?.port === replica.port);
    await this.settled();
  }

  /**
   * Moves `slot` to another master while it is in use, as `redis-cli --cluster reshard` moves each slot: importing and
   * migrating marks, MIGRATE of its keys in batches, then every master told its new owner.
   */
  async migrate(slot: number): Promise<void> {
    const nodes = await this.topology();
    const from = (await this.masterOf(slot))!;
    const to = nodes.find(({ role, failed, id }) => role === 'master' && !failed && id !== from.id)!;
    const cli = (node: ClusterNode, ...args: (string | number)[]) => redisCli('-p', String(node.port), ...args.map(String));
    await cli(to, 'cluster', 'setslot', slot, 'importing', from.id);
    await cli(from, 'cluster', 'setslot', slot, 'migrating', to.id);
    for (;;) {
      const keys = (await cli(from, 'cluster', 'getkeysinslot', slot, 100)).split('\n').filter(Boolean);
      if (keys.length === 0) {
        break;
      }
      await cli(from, 'migrate', '127.0.0.1', to.port, '', 0, 5_000, 'KEYS', ...keys);
    }
    const masters = nodes.filter(({ role, failed }) => role === 'master' && !failed);
    for (const node of [to, from, ...masters.filter(({ id }) => id !== to.id && id !== from.id)]) {
      await cli(node, 'cluster', 'setslot', slot, 'node', to.id);
    }
    await eventually(async () => (await this.masterOf(slot))?.id === to.id);
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.stop()));
  }
}

function parseClusterNode(line: string): ClusterNode {
  const [id, address, flags, masterId, , , , , ...slots] = line.split(' ');
  return {
    id,
    port: Number(/:(\d+)@/.exec(address)![1]),
    role: flags.includes('master') ? 'master' : 'replica',
    masterId: masterId === '-' ? undefined : masterId,
    slots: slots.filter((slot) => !slot.startsWith('[')).map((slot) => {
      const [from, to = from] = slot.split('-').map(Number);
      return [from, to];
    }),
    failed: flags.includes('fail') && !flags.includes('fail?'),
  };
}

/** How the Sentinels watch the master: they fail it over a second after it stops answering. */
const SENTINEL_SETTINGS = [
  ['down-after-milliseconds', '1000'],
  ['failover-timeout', '5000'],
  ['parallel-syncs', '1'],
];

/**
 * A Sentinel setup for fault tests: a master, a replica of it, and three Sentinels that watch it as `mymaster`
 * (quorum 2).
 */
export class RedisSentinels {
  private constructor(
    readonly master: RedisServer,
    readonly replica: RedisServer,
    readonly sentinels: RedisServer[],
  ) {}

  static async start(): Promise<RedisSentinels> {
    const master = await RedisServer.start();
    const replica = await RedisServer.start({ args: ['--replicaof', '127.0.0.1', String(master.port)] });
    const config = [
      `sentinel monitor mymaster 127.0.0.1 ${master.port} 2`,
      ...SENTINEL_SETTINGS.map(([option, value]) => `sentinel ${option} mymaster ${value}`),
      '',
    ].join('\n');
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < 3; i++) {
      sentinels.push(await RedisServer.start({ config, args: ['--sentinel'] }));
    }
    return new RedisSentinels(master, replica, sentinels);
  }

  /** The server (master or replica) on `port`. */
  server(port: number): RedisServer {
    return [this.master, this.replica].find((server) => server.port === port)!;
  }

  /** The `sentinels` option of ioredis for them. */
  get addresses(): { host: string; port: number }[] {
    return this.sentinels.map(({ port }) => ({ host: '127.0.0.1', port }));
  }

  /** The port of the master the Sentinels name now. */
  async masterPort(): Promise<number> {
    const [, port] = (await redisCli('-p', String(this.sentinels[0].port), 'sentinel', 'get-master-addr-by-name', 'mymaster')).trim().split('\n');
    return Number(port);
  }

  /**
   * Swaps master and replica by hand, as an operator would (REPLICAOF on each: no Sentinel failover, so no client is
   * disconnected), and points the Sentinels at the new master; resolves once a replica confirms its writes.
   */
  async swapByHand(): Promise<void> {
    const old = await this.masterPort();
    const promoted = old === this.master.port ? this.replica : this.master;
    await redisCli('-p', String(promoted.port), 'replicaof', 'no', 'one');
    await redisCli('-p', String(old), 'replicaof', '127.0.0.1', String(promoted.port));
    for (const { port } of this.sentinels) {
      const sentinel = (...args: string[]) => redisCli('-p', String(port), 'sentinel', ...args);
      await sentinel('remove', 'mymaster');
      await sentinel('monitor', 'mymaster', '127.0.0.1', String(promoted.port), '2');
      for (const [option, value] of SENTINEL_SETTINGS) {
        await sentinel('set', 'mymaster', option, value);
      }
    }
    await replicaConfirms(promoted.port);
  }

  async stop(): Promise<void> {
    await Promise.all([this.master, this.replica, ...this.sentinels].map((server) => server.stop()));
  }
}
