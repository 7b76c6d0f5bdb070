import type { Redis } from 'ioredis';
import type { BrokerHealth } from '../brokers/broker.interface.js';
import type { BrokerStats, RedisConnectionStats } from '../monitoring/pistachio-stats.interface.js';
import { settleBy } from './settle-by.js';

/** How long a health check waits for a master to answer its PING. */
const PING_TIMEOUT_MS = 1_000;

/** The module's connections to one master, by role, its commands connection first. */
export interface MasterConnections {
  address: string;
  connections: { role: RedisConnectionStats['role']; connection: Redis | undefined }[];
}

export function redisStats(topology: 'single' | 'cluster', address: string, masters: MasterConnections[]): BrokerStats {
  const nodes = masters.map(({ address: node, connections }) => ({
    address: node,
    connections: connections.map(({ role, connection }) => ({ role, status: connection?.status ?? 'none' })),
  }));
  return { type: 'redis', topology, address, nodes, connections: nodes.flatMap(({ connections }) => connections) };
}

/** Up when every master answers a PING in time on the commands connection and its other connections are ready. */
export async function redisHealth(masters: MasterConnections[]): Promise<BrokerHealth> {
  const answers = await Promise.all(
    masters.map(async ({ address, connections: [commands, ...others] }) => {
      const pinging = commands.connection ? commands.connection.ping().catch((error: Error) => error) : Promise.resolve(undefined);
      const answer = await settleBy(pinging, Date.now() + PING_TIMEOUT_MS, () => undefined);
      if (answer !== 'PONG') {
        const why = answer === undefined ? `gave no answer within ${PING_TIMEOUT_MS} ms` : `cannot be reached (${answer.message || 'not connected'})`;
        return `Redis at ${address} ${why}`;
      }
      const down = others.filter(({ connection }) => connection !== undefined && connection.status !== 'ready');
      return down.length > 0 ? `the ${down.map(({ role }) => role).join(' and ')} connection to Redis at ${address} is not ready` : undefined;
    }),
  );
  const reasons = answers.filter((reason) => reason !== undefined);
  return reasons.length === 0 ? { up: true } : { up: false, reason: reasons.join('; ') };
}
