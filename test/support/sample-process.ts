import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';

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
  const url = await printedUrl(child);
  return {
    url,
    async stop() {
      const exited = once(child, 'exit');
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    },
  };
}

function printedUrl(child: ChildProcess): Promise<string> {
  let output = '';
  return new Promise((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk;
      const ready = READY.exec(output);
      if (ready) {
        resolve(ready[1]);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.on('exit', (code) => reject(new Error(`npm run sample exited (${code}) before printing its URL:\n${output}`)));
  });
}
