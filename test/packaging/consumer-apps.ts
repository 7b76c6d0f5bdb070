import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ended, printedLine } from '../support/child-process.js';
import { cp, copyFile, mkdir, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

export interface Outcome {
  command: string;
  code: number | null;
  output: string;
}

/**
 * Runs a command to its end and gives its exit code and output (stdout and stderr interleaved). The outer `npm test`'s
 * npm_* variables are left out: the fixtures' npm must see its own project, not ours.
 */
export async function run(command: string, args: string[], cwd: string): Promise<Outcome> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_|^INIT_CWD$/i.test(name)));
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  return { command: `${command} ${args.join(' ')} (in ${cwd})`, code, output };
}

/** Throws with the command's output unless it succeeded. */
export function succeeded(outcome: Outcome): Outcome {
  if (outcome.code !== 0) {
    throw new Error(`${outcome.command} exited with ${outcome.code}:\n${outcome.output}`);
  }
  return outcome;
}

/**
 * Builds the library into `staging` (not the repo's dist/, which `npm run build` may be emptying meanwhile) with the
 * files `npm pack` takes from the repo's root, packs it there as a user would get it, and gives the tarball's path.
 */
export async function packLibrary(staging: string): Promise<string> {
  await mkdir(staging, { recursive: true });
  const rootFiles = (await readdir(repo)).filter((name) => /^(package\.json|readme|licen[cs]e|notice)/i.test(name));
  await Promise.all(rootFiles.map((name) => copyFile(join(repo, name), join(staging, name))));
  succeeded(await run(process.execPath, [join(repo, 'scripts/build.js'), join(staging, 'dist')], repo));
  const packed = succeeded(await run('npm', ['pack', '--json', '--ignore-scripts'], staging));
  const [{ filename }] = JSON.parse(packed.output.slice(packed.output.indexOf('['))) as { filename: string }[];
  return join(staging, filename);
}

/**
 * Copies a fixture app into `parent` and installs it as its lockfile says (peers from the registry, through the warm
 * npm cache), then the library from `tarball`, unsaved: the fixtures never pin nestjs-pistachio. Gives the app's path.
 */
export async function installFixture(name: string, parent: string, tarball: Promise<string>): Promise<string> {
  const app = join(parent, name);
  await cp(join(fixtures, name), app, {
    recursive: true,
    filter: (source) => !['node_modules', 'dist'].includes(basename(source)),
  });
  const quiet = ['--prefer-offline', '--no-audit', '--no-fund'];
  succeeded(await run('npm', ['ci', ...quiet], app));
  succeeded(await run('npm', ['install', '--no-save', ...quiet, await tarball], app));
  return app;
}

export interface AppProcess {
  url: string;
  /** What the app printed so far, on stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts a built fixture app (`node <entry>` on a free port) and waits for the URL it prints once it listens. */
export async function startFixtureApp(app: string, entry: string): Promise<AppProcess> {
  const child = spawn(process.execPath, [entry], {
    cwd: app,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const [, url] = await printedLine(child, /^listening on (http:\/\/\S+)$/m, 'the fixture app');
  return {
    url,
    output: () => output,
    stop: () => ended(child),
  };
}
