import { performance } from 'node:perf_hooks';

/** Wall-clock milliseconds with microseconds, comparable across the processes of one machine. */
export const now = () => performance.timeOrigin + performance.now();

/**
 * Calls `publish` with 0, 1, 2 … at `rate` per second for `seconds`, in ticks of about 10 ms, each publishing what the
 * clock says is due by then (a late tick makes up for the delay); answers how many it published and in how long.
 */
export async function atRate(rate: number, seconds: number, publish: (k: number) => void): Promise<{ sent: number; seconds: number }> {
  const total = Math.round(rate * seconds);
  const started = now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.round((rate * (now() - started)) / 1_000));
    while (sent < due) {
      publish(sent++);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { sent, seconds: (now() - started) / 1_000 };
}
