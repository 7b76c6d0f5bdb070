import type { Delivery } from '../interfaces/index.js';
import type { BrokerReceiveOptions } from './broker.interface.js';

/** A delivery, with the key it came from. */
export interface KeyedDelivery extends Delivery {
  key: string;
}

/** What a broker does for a receive on several keys. */
export interface AnyKeySource {
  /** Takes up to `count` from `key` at once, without waiting, when it may take before this instance's receives of it. */
  takeNow(key: string, count: number): Promise<Delivery[]>;
  /** Waits in line on every key for one delivery; null at the timeout. */
  waitAny(keys: string[], options: BrokerReceiveOptions): Promise<{ key: string; deliveries: Delivery[] } | null>;
}

/**
 * A receive on several keys, fair between them: it takes what they hold in turn (see takeInTurn, in the order given);
 * with nothing there, it waits on all of them for the first key to bring messages (up to the whole batch: under
 * contention the other keys are taken for the receives in line before it), then fills the batch in turn from the keys
 * after the one that answered.
 */
export async function receiveAny(keys: string[], options: BrokerReceiveOptions, source: AnyKeySource): Promise<KeyedDelivery[]> {
  const deadline = Date.now() + options.timeout;
  const taken = await takeInTurn(keys, options.max, source);
  if (taken.length > 0) {
    return taken;
  }
  const woken = await source.waitAny(keys, { ...options, timeout: Math.max(1, deadline - Date.now()) });
  if (!woken) {
    return [];
  }
  const first = woken.deliveries.map((delivery) => ({ ...delivery, key: woken.key }));
  const at = keys.indexOf(woken.key) + 1;
  const rest = options.max > first.length ? await takeInTurn([...keys.slice(at), ...keys.slice(0, at)], options.max - first.length, source) : [];
  return [...first, ...rest];
}

/**
 * Takes up to `max` from `keys` without waiting, fairly: each round asks every key still ready for an equal share of
 * what is left (the first ones one more, when it does not divide), and a key that brings less than its share is done.
 * Answers one from each key in turn, in the order given, then again. A key that fails counts as empty, unless no key
 * brought anything: then its error is the receive's.
 */
export async function takeInTurn(keys: string[], max: number, source: Pick<AnyKeySource, 'takeNow'>): Promise<KeyedDelivery[]> {
  const taken = new Map<string, Delivery[]>(keys.map((key) => [key, []]));
  let ready = keys;
  let left = max;
  let failure: { error: unknown } | undefined;
  while (left > 0 && ready.length > 0) {
    const share = (i: number) => Math.floor(left / ready.length) + (i < left % ready.length ? 1 : 0);
    const asked = ready.map((key, i) => ({ key, count: share(i) }));
    const answers = await Promise.allSettled(asked.map(({ key, count }) => (count > 0 ? source.takeNow(key, count) : Promise.resolve(null))));
    ready = [];
    answers.forEach((answer, i) => {
      const { key, count } = asked[i];
      if (answer.status === 'rejected') {
        failure ??= { error: answer.reason };
      } else if (answer.value === null) {
        ready.push(key); // not asked this round
      } else {
        taken.get(key)!.push(...answer.value);
        left -= answer.value.length;
        if (answer.value.length === count) {
          ready.push(key);
        }
      }
    });
  }
  const inTurn = interleave(keys.map((key) => taken.get(key)!.map((delivery) => ({ ...delivery, key }))));
  if (inTurn.length === 0 && failure) {
    throw failure.error;
  }
  return inTurn;
}

/** One from each list in turn, then again: [[a1, a2], [b1]] → [a1, b1, a2]. */
function interleave<T>(lists: T[][]): T[] {
  const longest = Math.max(0, ...lists.map((list) => list.length));
  return Array.from({ length: longest }, (_, i) => lists.flatMap((list) => (i < list.length ? [list[i]] : []))).flat();
}
