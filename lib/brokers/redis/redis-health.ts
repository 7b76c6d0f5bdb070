import type { Redis } from 'ioredis';
import type { BrokerStats, RedisConnectionStats } from '../../monitoring/pistachio-stats.interface.js';
import type { BrokerHealth } from '../broker.interface.js';
import { addressOf } from './redis-connection.js';
import { settleBy } from './settle-by.js';
import { SingleSendConnection } from './single-send-connection.js';

/** How long a health check waits for Redis to answer its PING. */
const PING_TIMEOUT_MS = 1_000;

/** A broker's connections to Redis by role, its commands connection first. */
export interface RoledConnections {
  commands: SingleSendConnection;
  others: { role: RedisConnectionStats['role']; redis: Redis }[];
}

export function redisStats({ commands, others }: RoledConnections): BrokerStats {
  return {
    type: 'redis',
    address: addressOf(commands.redis),
    connections: [{ role: 'commands' as const, redis: commands.redis }, ...others].map(({ role, redis }) => ({
      role,
      status: redis.status,
    })),
  };
}

/** Up when Redis answers a PING in time on the commands connection and every other connection is ready. */
export async function redisHealth({ commands, others }: RoledConnections): Promise<BrokerHealth> {
  const address = addressOf(commands.redis);
  const pinging = commands.send((redis) => redis.ping()).catch((error: Error) => error);
  const answer = await settleBy(pinging, Date.now() + PING_TIMEOUT_MS, () => undefined);
  if (answer !== 'PONG') {
    const why =
      answer === undefined
        ? `gave no answer within ${PING_TIMEOUT_MS} ms`
        : `cannot be reached (${(answer as Error).message || 'not connected'})`;
    return { up: false, reason: `Redis at ${address} ${why}` };
  }
  const down = others.filter(({ redis }) => redis.status !== 'ready');
  if (down.length > 0) {
    return { up: false, reason: `${down.length} of ${others.length} ${down[0].role} connections to Redis at ${address} are not ready` };
  }
  return { up: true };
}
