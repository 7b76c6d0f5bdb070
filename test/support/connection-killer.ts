import { setTimeout as delay } from 'node:timers/promises';
import { redisUrl, withRedis } from './brokers.js';
import { connectionsOf } from './client-list.js';

/** How often the connections are killed: the schedule of the fault. */
const KILL_EVERY_MS = 50;

/**
 * Kills the Redis connections of a registration (those whose name `which` picks) with `CLIENT KILL` every 50 ms, from
 * outside as a network blip would, until stopped; `stop()` resolves the number killed. A Redis that is down meanwhile
 * (a fault test may restart it) kills nothing that round.
 */
export function killConnections(namespace: string, { which = () => true, url = redisUrl() }: { which?: (name: string) => boolean; url?: string } = {}): {
  stop(): Promise<number>;
} {
  let killing = true;
  let kills = 0;
  const loop = (async () => {
    while (killing) {
      const ids = (await connectionsOf(namespace, url).catch(() => [])).filter(({ name }) => which(name)).map(({ id }) => id);
      for (const id of ids) {
        kills += await withRedis((redis) => redis.client('KILL', 'ID', id) as Promise<number>, url).catch(() => 0);
      }
      await delay(KILL_EVERY_MS);
    }
  })();
  return {
    async stop() {
      killing = false;
      await loop;
      return kills;
    },
  };
}
