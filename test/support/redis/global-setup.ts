import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

// Jest requires this file on its own, with no module mapping (`./x.js` finds no `x.ts`), so the whole harness lives
// here, with no relative imports; tests import RedisServer from here too.

declare global {
  var pistachioTestRedis: TestRedis | undefined;
}

/** One Redis for the whole run; test files reach it through REDIS_URL, which the workers inherit. */
export default async function globalSetup(): Promise<void> {
  const redis = await startTestRedis();
  globalThis.pistachioTestRedis = redis;
  process.env.REDIS_URL = redis.url;
  console.log(`\nTests run against Redis from ${redis.origin}: ${redis.url}`);
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

export interface RedisServerOptions {
  /** More `redis-server` arguments; a `--save` or `--appendonly` here replaces that default (nothing saved). */
  args?: string[];
  /** Its working directory, where an AOF lives across restarts. Default: a fresh temporary one, removed by stop(). */
  dir?: string;
}

/** Arguments given unless the options give their own. */
const DEFAULTS = [
  ['--save', ''],
  ['--appendonly', 'no'],
];
const READY = /Ready to accept connections/;
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
  private running: { child: ChildProcess; pid: number; exited: Promise<void> } | undefined;

  private constructor(
    readonly port: number,
    private readonly args: string[],
    private readonly dir: string,
    private readonly ownsDir: boolean,
  ) {}

  static async start({ args = [], dir }: RedisServerOptions = {}): Promise<RedisServer> {
    const server = new RedisServer(
      await freePort(),
      args,
      dir ?? (await mkdtemp(join(tmpdir(), 'pistachio-redis-'))),
      dir === undefined,
    );
    try {
      await server.restart();
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Kills the server with SIGKILL, as a crash would; resolves once it has exited (at once if it already has). */
  async kill(): Promise<void> {
    if (this.running?.child.exitCode === null) {
      try {
        process.kill(this.running.pid, 'SIGKILL');
      } catch (error) {
        // ESRCH: it has just exited of itself (a SHUTDOWN, a crash), and its shell is about to.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
          throw error;
        }
      }
    }
    await this.end();
  }

  /** Starts the server again (ending it first if it runs); resolves once it accepts connections. */
  async restart(): Promise<void> {
    await this.stopServer();
    const defaults = DEFAULTS.filter(([option]) => !this.args.includes(option)).flat();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, ...defaults, ...this.args];
    const child = spawn('sh', ['-c', SUPERVISOR, 'redis-server', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.running = { child, exited, pid: await ready(child) };
  }

  /** Ends the server (if it still runs) and removes the directory it made; fine after kill() and twice. */
  async stop(): Promise<void> {
    await this.stopServer();
    if (this.ownsDir) {
      await rm(this.dir, { recursive: true, force: true });
    }
  }

  private async stopServer(): Promise<void> {
    this.running?.child.stdin!.end();
    await this.end();
  }

  private async end(): Promise<void> {
    await this.running?.exited;
    this.running = undefined;
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
 * no outgoing connection takes it while a killed server is down before its restart.
 */
async function freePort(): Promise<number> {
  for (;;) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    const server = createServer().listen(port, '127.0.0.1');
    try {
      await once(server, 'listening');
    } catch {
      continue;
    }
    server.close();
    await once(server, 'close');
    return port;
  }
}
