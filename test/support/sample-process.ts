import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { printedLine } from './child-process.js';

export interface SampleProcess {
  url: string;
  stop(): Promise<void>;
}

const READY = /open (http:\/\/localhost:\d+\/)/;

/** Runs the sample exactly as README says (`npm run sample`, which builds first) and waits for the URL it prints. */
export async function startSample(env: Record<string, string>): Promise<SampleProcess> {
  const child = spawn('npm', ['run', 'sample'], {
    cwd: new URL('../..', import.meta.url),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const [, url] = await printedLine(child, READY, 'npm run sample');
  return {
    url,
    async stop() {
      const exited = once(child, 'exit');
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
}
