import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ended, printedLine } from '../test/support/child-process.js';

export interface BenchApp {
  url: string;
  /** The app's process, for what /proc tells of it (its CPU). */
  pid: number;
  stop(): Promise<void>;
  /** JSON of a control route of the app. */
  call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
}

/** This build's bench app. */
const OWN_APP = fileURLToPath(new URL('./app.js', import.meta.url));

/**
 * Starts `app.js` in a process of its own (so that the load generator does not share its core), with `nodeOptions`
 * for Node, and waits for it. `script` runs another app instead: another build's bench app (see `--baseline` in run.ts),
 * or the holding server the intake scenario measures beside the module (holding-app.ts).
 */
export async function startBenchApp(env: Record<string, string>, nodeOptions: string[] = [], script = OWN_APP): Promise<BenchApp> {
  const child = spawn(process.execPath, ['--expose-gc', ...nodeOptions, script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [, port] = await printedLine(child, /listening (\d+)/, 'bench app');
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    pid: child.pid!,
    stop: () => ended(child),
    async call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the bench app has exited (${child.exitCode ?? child.signalCode})`);
      }
      const response = await fetch(`${url}${path}`, {
        method,
        headers: body === undefined ? undefined : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}
