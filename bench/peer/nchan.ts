import { ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { childrenOf } from './proc.js';

/**
 * Nchan (https://nchan.io), the reference push server the peer scenario measures the module against: an nginx module,
 * Debian's `libnginx-mod-nchan` (1.3.6 on bookworm), found here or installed with apt-get.
 */

export interface NchanInstallation {
  nginx: string;
  /** The dynamic module to `load_module`; undefined when the nginx binary has Nchan built in. */
  module: string | undefined;
}

const MODULE_PATHS = [
  '/usr/lib/nginx/modules/ngx_nchan_module.so',
  '/usr/share/nginx/modules/ngx_nchan_module.so',
  '/usr/lib64/nginx/modules/ngx_nchan_module.so',
  '/usr/local/nginx/modules/ngx_nchan_module.so',
];
const PACKAGES = ['nginx', 'libnginx-mod-nchan'];

function onPath(binary: string): string | undefined {
  const folders = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin'];
  return folders.map((folder) => join(folder, binary)).find((path) => existsSync(path));
}

function installed(): NchanInstallation | undefined {
  const nginx = onPath('nginx');
  if (nginx === undefined) {
    return undefined;
  }
  const module = MODULE_PATHS.find((path) => existsSync(path));
  if (module !== undefined) {
    return { nginx, module };
  }
  // `nginx -V` prints its configure arguments (on stderr): a static `--add-module=…nchan`.
  return /nchan/i.test(nginxSays(nginx, '-V')) ? { nginx, module: undefined } : undefined;
}

/** What `nginx <flag>` prints, on either stream. */
function nginxSays(nginx: string, flag: string): string {
  const { stdout, stderr } = spawnSync(nginx, [flag], { encoding: 'utf8' });
  return `${stdout}${stderr}`;
}

/** nginx's version, e.g. `1.22.1`. */
export function nginxVersion({ nginx }: NchanInstallation): string {
  return /nginx\/(\S+)/.exec(nginxSays(nginx, '-v'))?.[1] ?? 'unknown';
}

/** The last lines of what a failed command printed. */
const tail = (error: unknown) =>
  String((error as { stderr?: Buffer | string }).stderr ?? (error as Error).message)
    .trim()
    .split('\n')
    .slice(-3)
    .join(' / ');

/**
 * Nchan as installed, or installed now with apt-get (`nginx libnginx-mod-nchan`) when missing; when it can be neither,
 * why not, for the results to say in place of the figures.
 */
export function ensureNchan(log: (line: string) => void): NchanInstallation | { skipped: string } {
  const found = installed();
  if (found !== undefined) {
    return found;
  }
  const how = `install nginx with the Nchan module (Debian, Ubuntu: apt-get install -y ${PACKAGES.join(' ')})`;
  if (onPath('apt-get') === undefined) {
    return { skipped: `Nchan is not installed and this machine has no apt-get: ${how}` };
  }
  if (process.getuid?.() !== 0) {
    return { skipped: `Nchan is not installed and the bench, not run as root, cannot install it: ${how}` };
  }
  log(`installing ${PACKAGES.join(' ')} with apt-get`);
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...PACKAGES], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  try {
    install();
  } catch {
    // Most often stale package lists.
    try {
      execFileSync('apt-get', ['update'], { stdio: ['ignore', 'pipe', 'pipe'] });
      install();
    } catch (error) {
      return { skipped: `Nchan could not be installed (apt-get install -y ${PACKAGES.join(' ')}: ${tail(error)})` };
    }
  }
  return installed() ?? { skipped: `apt-get installed ${PACKAGES.join(' ')}, yet no nginx with the Nchan module was found` };
}

export interface NchanOptions {
  workers: number;
  /** The Redis store at this URL; the memory store (nginx's shared memory) when undefined. */
  redisUrl?: string;
  /** Messages each channel keeps (`nchan_message_buffer_length`): more than a subscriber can fall behind by. */
  bufferLength: number;
}

/** A free loopback port (the kernel's choice; another process could take it before nginx binds, which is unlikely). */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * The generated configuration: a publisher location (`POST /pub?id=<channel>`), a long-poll subscriber location
 * (`GET /sub/<channel>`, starting at the oldest message buffered, no subscriber timeout), an EventSource one
 * (`GET /ev/<channel>`), Nchan's status (subscribers
 * waiting) and version; keep-alive without a request limit (nginx closes a connection after 1,000 requests by default),
 * logs in the run's directory, no access log.
 */
export function nchanConfig(installation: NchanInstallation, dir: string, port: number, options: NchanOptions): string {
  const store = options.redisUrl === undefined ? [] : [`nchan_redis_url "${options.redisUrl}";`, 'nchan_use_redis on;'];
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `${kind}_temp_path ${join(dir, kind)};`);
  return [
    ...(installation.module === undefined ? [] : [`load_module ${installation.module};`]),
    'daemon off;',
    'master_process on;',
    `worker_processes ${options.workers};`,
    'worker_rlimit_nofile 20000;',
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 16384; }',
    'http {',
    '  access_log off;',
    '  keepalive_timeout 300s;',
    '  keepalive_requests 1000000000;',
    '  client_body_buffer_size 16k;',
    ...temp.map((line) => `  ${line}`),
    '  nchan_shared_memory_size 256M;',
    ...store.map((line) => `  ${line}`),
    '  server {',
    // Several workers: the kernel spreads connections over them (without it one worker can take most of them).
    `    listen 127.0.0.1:${port}${options.workers > 1 ? ' reuseport' : ''};`,
    '    location = /pub {',
    '      nchan_publisher;',
    '      nchan_channel_id $arg_id;',
    `      nchan_message_buffer_length ${options.bufferLength};`,
    '      nchan_message_timeout 1h;',
    '    }',
    '    location ~ ^/sub/(\\w+)$ {',
    '      nchan_subscriber longpoll;',
    '      nchan_channel_id $1;',
    '      nchan_subscriber_first_message oldest;',
    '      nchan_subscriber_timeout 0;',
    '    }',
    // The streams scenario's EventSource subscribers, from the next message on (Nchan's default for them).
    '    location ~ ^/ev/(\\w+)$ {',
    '      nchan_subscriber eventsource;',
    '      nchan_channel_id $1;',
    '    }',
    '    location = /status { nchan_stub_status; }',
    '    location = /version { return 200 "$nchan_version"; }',
    '  }',
    '}',
    '',
  ].join('\n');
}

/** One nginx with Nchan in a directory of its own, in the foreground (`daemon off`): its master is our child. */
export class NchanServer {
  private constructor(
    readonly port: number,
    readonly config: string,
    private readonly dir: string,
    private readonly master: ChildProcess,
    readonly version: string,
  ) {}

  static async start(installation: NchanInstallation, options: NchanOptions): Promise<NchanServer> {
    const dir = mkdtempSync(join(tmpdir(), 'pistachio-nchan-'));
    // nginx's workers run as nobody when the master is root: they must reach the directory.
    chmodSync(dir, 0o755);
    const port = await freePort();
    const config = nchanConfig(installation, dir, port, options);
    writeFileSync(join(dir, 'nginx.conf'), config);
    const master = spawn(installation.nginx, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    master.stdout!.on('data', (chunk: Buffer) => (output += chunk));
    master.stderr!.on('data', (chunk: Buffer) => (output += chunk));
    const giveUp = Date.now() + 10_000;
    for (;;) {
      if (master.exitCode !== null || Date.now() > giveUp) {
        master.kill('SIGKILL');
        const log = existsSync(join(dir, 'error.log')) ? readFileSync(join(dir, 'error.log'), 'utf8') : '';
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`nginx with Nchan did not start (${master.exitCode ?? 'no answer in 10 s'}):\n${output}${log}`);
      }
      const version = await fetch(`http://127.0.0.1:${port}/version`)
        .then((response) => (response.ok ? response.text() : undefined))
        .catch(() => undefined);
      if (version !== undefined) {
        return new NchanServer(port, config, dir, master, version);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** The worker processes, where all the work is done (the master only watches them). */
  workers(): number[] {
    return childrenOf(this.master.pid!);
  }

  /** Subscribers Nchan holds now, all workers together (`nchan_stub_status`). */
  async subscribers(): Promise<number> {
    const status = await (await fetch(`http://127.0.0.1:${this.port}/status`)).text();
    return Number(/subscribers: (\d+)/.exec(status)?.[1] ?? NaN);
  }

  /** The error log's lines of level error and worse so far: a run that met any is not to be trusted blindly. */
  errors(): string[] {
    const path = join(this.dir, 'error.log');
    const log = existsSync(path) ? readFileSync(path, 'utf8') : '';
    return log.split('\n').filter((line) => /\[(error|crit|alert|emerg)\]/.test(line));
  }

  /** Fast shutdown (SIGTERM: waiting subscribers are dropped, not waited for), then the directory goes. */
  async stop(): Promise<void> {
    if (this.master.exitCode === null && this.master.signalCode === null) {
      const exited = once(this.master, 'exit');
      this.master.kill('SIGTERM');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
