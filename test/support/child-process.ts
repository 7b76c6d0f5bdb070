import type { ChildProcess } from 'node:child_process';

/** The child processes of tests and benchmarks: waiting until they are ready, and ending them. */

/**
 * Waits until a child process prints a line that matches `pattern` (on stdout or stderr) and gives the match; rejects
 * with all it printed if it exits first. `what` names the process in that error.
 */
export function printedLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  let output = '';
  return new Promise((resolve, reject) => {
    const read = (chunk: Buffer) => {
      output += chunk;
      const match = pattern.exec(output);
      if (match) {
        resolve(match);
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.on('exit', (code, signal) => reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${output}`)));
  });
}

/** Sends `signal` unless the child has exited already, and resolves once it has. */
export async function ended(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
}
