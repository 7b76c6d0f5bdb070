import { ChildProcess, execFileSync } from 'node:child_process';
import { Socket } from 'node:net';

/** How long Jest may outlive this teardown: whatever still holds it open is named in the log, and the run ends. */
const EXIT_GRACE = 30_000;

/** Stops the Redis and the Cluster that globalSetup started (those given by REDIS_URL or REDIS_CLUSTER_NODES are left alone). */
export default async function globalTeardown(): Promise<void> {
  await Promise.all([globalThis.pistachioTestRedis?.stop(), globalThis.pistachioTestCluster?.stop()]);
  // A run that passed once hung in CI after this point until CI's own limit: it must end, and say what held it.
  // Tests run in this process (one worker on 2 cores: in band), so a client left reconnecting shows as a timer alone,
  // between its attempts: the addresses it tries tell whose it is.
  const attempts = countConnectionAttempts();
  setTimeout(() => {
    console.error(
      `Jest still runs ${EXIT_GRACE / 1000} s after its teardown, held by:\n${openHandles()}\n` +
        `connections attempted since the teardown: ${[...attempts].map(([to, count]) => `${to} ×${count}`).join(', ') || 'none'}\n${processTree()}`,
    );
    // Jest's own 'exit' listener sets the exit code of a run that failed.
    process.exit();
  }, EXIT_GRACE).unref();
}

/** From now on, counts the connections this process attempts, by address. */
function countConnectionAttempts(): Map<string, number> {
  const attempts = new Map<string, number>();
  const connect = Socket.prototype.connect;
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]) {
    // net normalizes its arguments to [options, callback] before calling connect, or passes (options | port, …).
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    const options = (typeof first === 'object' && first !== null ? first : { port: first, host: args[1] }) as { host?: string; port?: unknown; path?: string };
    const to = options.path ?? `${options.host ?? 'localhost'}:${options.port}`;
    attempts.set(to, (attempts.get(to) ?? 0) + 1);
    return (connect as (...given: unknown[]) => Socket).apply(this, args);
  } as typeof connect;
  return attempts;
}

function openHandles(): string {
  const handles = (process as unknown as { _getActiveHandles(): object[] })._getActiveHandles();
  // Timers are not among the handles: the resource types name them.
  return [...handles.map(describe), `resources: ${process.getActiveResourcesInfo().join(', ')}`].join('\n');
}

function describe(handle: object): string {
  if (handle instanceof ChildProcess) {
    return `child process ${handle.pid}: ${handle.spawnargs.join(' ')}`;
  }
  if (handle instanceof Socket) {
    return handle.remotePort === undefined ? `pipe (fd ${(handle as unknown as { _handle?: { fd?: number } })._handle?.fd})` : `socket to ${handle.remoteAddress}:${handle.remotePort}`;
  }
  return handle.constructor.name;
}

function processTree(): string {
  try {
    return execFileSync('ps', ['--ppid', '2', '-p', '2', '-N', '-o', 'pid,ppid,etime,args', '--forest'], { encoding: 'utf8' });
  } catch (error) {
    return `(ps failed: ${error})`;
  }
}
