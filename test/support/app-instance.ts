import { afterAll } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ended, printedLine } from './child-process.js';
import type { TestOptions } from './start-app.js';

/** Module options that survive JSON: Redis as a URL or a Cluster's nodes, no hooks. */
export type AppInstanceOptions = Omit<TestOptions, 'redis' | 'authorize' | 'cors' | 'guards'> & {
  redis?: string | { cluster: { nodes: string[] } };
};

/** An app of a user's, with the module, in a process of its own: for tests that kill it. */
export interface AppInstance {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  pid: number;
  /** SIGKILL, as a crash would; resolves once it has exited. */
  kill(): Promise<void>;
  /** SIGTERM, the graceful shutdown; resolves once it has exited (at once if it already has). */
  stop(): Promise<void>;
}

const repo = fileURLToPath(new URL('../..', import.meta.url));
/** The compiled entry of this test file's instances, made by the first start and removed after its tests. */
let build: { out: string; entry: Promise<string> } | undefined;

afterAll(async () => {
  if (build) {
    await rm(build.out, { recursive: true, force: true });
  }
});

/** Starts app-instance.main.ts on the library's current sources and waits until it listens. */
export async function startAppInstance(options: AppInstanceOptions): Promise<AppInstance> {
  const child = spawn(process.execPath, ['--enable-source-maps', await compiledEntry(), JSON.stringify(options)], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const port = Number((await printedLine(child, /^listening (\d+)$/m, 'app instance'))[1]);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    kill: () => ended(child, 'SIGKILL'),
    stop: () => ended(child),
  };
}

function compiledEntry(): Promise<string> {
  if (!build) {
    const out = mkdtempSync(join(tmpdir(), 'pistachio-instance-'));
    build = { out, entry: compile(out) };
  }
  return build.entry;
}

/**
 * Compiles the entry and the library's sources, unchecked (`npm run typecheck` checks them), into a directory of its
 * own (`npm run build` may be emptying dist/ meanwhile) that reaches the repo's packages through a symlink.
 */
async function compile(out: string): Promise<string> {
  await writeFile(join(out, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(repo, 'node_modules'), join(out, 'node_modules'));
  const tsc = join(repo, 'node_modules/typescript/bin/tsc');
  const tsconfig = join(repo, 'test/support/tsconfig.app-instance.json');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', tsconfig, '--outDir', out]);
  } catch (error) {
    throw new Error(`tsc failed to compile the app instance:\n${(error as { stdout: string }).stdout}`);
  }
  return join(out, 'test/support/app-instance.main.js');
}

/** The port the instance prints once it listens; rejects with its output if it exits first. */
