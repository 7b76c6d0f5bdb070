import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface BenchApp {
  url: string;
  stop(): Promise<void>;
  /** JSON of a control route of the app. */
  call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
}

/** Starts `app.js` in a process of its own (so that the load generator does not share its core) and waits for it. */
export async function startBenchApp(env: Record<string, string>): Promise<BenchApp> {
  const child = spawn(process.execPath, ['--expose-gc', fileURLToPath(new URL('./app.js', import.meta.url))], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk;
      const listening = /listening (\d+)/.exec(output);
      if (listening) resolve(listening[1]);
    });
    child.on('exit', (code) => reject(new Error(`bench app exited (${code}): ${output}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    },
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
