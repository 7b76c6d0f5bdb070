import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

// Jest loads this file on its own (no module mapping), so the whole harness lives here, with no relative imports.

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

const READY = /Ready to accept connections/;

/**
 * Starts `redis-server` on a free loopback port with nothing saved to disk. It runs under a shell that kills it when
 * its standard input closes, so the server dies with the test run even when that run is killed outright.
 */
export async function startRedisServer(binary = 'redis-server'): Promise<TestRedis> {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child = spawn('sh', ['-c', `"$0" "$@" & server=$!; cat >/dev/null; kill $server; wait $server`, binary, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  await ready(child);
  return {
    url: `redis://127.0.0.1:${port}`,
    origin: `${binary} on port ${port}`,
    async stop() {
      const exited = once(child, 'exit');
      child.stdin!.end();
      await exited;
    },
  };
}

async function ready(child: ChildProcess): Promise<void> {
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      if (READY.test(output)) {
        resolve();
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready:\n${output}`)));
  });
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
