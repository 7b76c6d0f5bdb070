/**
 * What `pending` resolves to, or `undefined` when it resolves after `deadline` (a paused or slow Redis): its late
 * value then goes to `late`, so that nothing it took is dropped. A rejection before the deadline rejects.
 */
export async function settleBy<T>(pending: Promise<T>, deadline: number, late: (value: T) => unknown): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const lateness = new Promise<typeof LATE>((resolve) => (timer = setTimeout(resolve, deadline - Date.now(), LATE)));
  const settled = await Promise.race([pending, lateness]).finally(() => clearTimeout(timer));
  if (settled !== LATE) {
    return settled;
  }
  void pending.then(late, () => undefined);
  return undefined;
}

const LATE = Symbol('late');
