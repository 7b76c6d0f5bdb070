import { redisUrl, withRedis } from './brokers.js';

/** The Redis connections a registration opened, found by the names it gives them (`pistachio:<namespace>:...`). */
export async function connectionsOf(
  namespace: string,
  url = redisUrl(),
): Promise<{ id: string; name: string; flags: string; ssub: string }[]> {
  const list = await withRedis((redis) => redis.client('LIST') as Promise<string>, url);
  return list
    .split('\n')
    .map((line) => Object.fromEntries(line.split(' ').map((field) => field.split('='))))
    .filter((client) => client.name?.startsWith(`pistachio:${namespace}:`));
}
