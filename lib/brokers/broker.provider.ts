import { Logger, Provider } from '@nestjs/common';
import type { ChannelBroker } from '../channels/channel-broker.interface.js';
import type { ResolvedPistachioOptions } from '../interfaces/index.js';
import type { BrokerEvents } from '../monitoring/delivery-events.interface.js';
import { PISTACHIO_BROKER, PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from '../pistachio.constants.js';
import { RedisDeployments } from '../redis/redis-deployments.js';
import type { Broker } from './broker.interface.js';

/** How a mode stores its endpoints: in this process's memory, or on Redis. */
export interface ModeBrokers {
  /** What the endpoints are, for the log: `queues` or `channels`. */
  endpoints: string;
  memory(options: ResolvedPistachioOptions, events: BrokerEvents): Broker | ChannelBroker;
  /** Connects (or shares) the app's deployment; rejects with the module's error if Redis is away or unfit. */
  redis(options: ResolvedPistachioOptions, events: BrokerEvents, deployments: RedisDeployments): Promise<Broker | ChannelBroker>;
}

/**
 * The registration's broker, of its mode: on Redis when the `redis` option is set (on the app's connections to that
 * deployment, shared with its other registrations), connected before the app starts, else in memory. It reports what
 * only it sees to the registration's monitor.
 */
export function brokerProvider(brokers: ModeBrokers): Provider<Broker | ChannelBroker> {
  return {
    provide: PISTACHIO_BROKER,
    useFactory: async (options: ResolvedPistachioOptions, events: BrokerEvents, deployments: RedisDeployments) => {
      if (options.redis !== undefined) {
        return brokers.redis(options, events, deployments);
      }
      new Logger('PistachioModule').log(
        `Namespace "${options.namespace}" runs on the in-memory broker: its ${brokers.endpoints} live in this process only`,
      );
      return brokers.memory(options, events);
    },
    inject: [PISTACHIO_OPTIONS, PISTACHIO_MONITOR, RedisDeployments],
  };
}
