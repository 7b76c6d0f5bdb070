import { Logger, Provider } from '@nestjs/common';
import { ChannelBroker } from '../channels/channel-broker.interface.js';
import { MemoryChannelBroker } from '../channels/memory/memory-channel.broker.js';
import { RedisChannelBroker } from '../channels/redis/redis-channel.broker.js';
import type { ResolvedPistachioOptions } from '../interfaces/index.js';
import type { BrokerEvents } from '../monitoring/delivery-events.interface.js';
import { PISTACHIO_BROKER, PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from '../pistachio.constants.js';
import { RedisDeployments } from '../redis/redis-deployments.js';
import { Broker } from './broker.interface.js';
import { AcknowledgedMemoryBroker } from './memory/acknowledged-memory.broker.js';
import { MemoryBroker } from './memory/memory.broker.js';
import { AcknowledgedRedisBroker } from './redis/acknowledged-redis.broker.js';
import { RedisBroker } from './redis/redis.broker.js';

/**
 * The registration's broker: of queues or, in a broadcast registration, of channels; on Redis when the `redis` option
 * is set (on the app's connections to that deployment, shared with its other registrations), connected before the app
 * starts, else in memory; for queues, at least once or at most once as `delivery` says. It reports what only it sees to
 * the registration's monitor.
 */
export const brokerProvider: Provider<Broker | ChannelBroker> = {
  provide: PISTACHIO_BROKER,
  useFactory: async (
    options: ResolvedPistachioOptions,
    events: BrokerEvents,
    deployments: RedisDeployments,
  ): Promise<Broker | ChannelBroker> => {
    if (options.redis !== undefined) {
      if (options.mode === 'broadcast') {
        return RedisChannelBroker.connect(options, deployments);
      }
      return options.delivery === 'at-least-once'
        ? AcknowledgedRedisBroker.connect(options, events, deployments)
        : RedisBroker.connect(options, events, deployments);
    }
    const kind = options.mode === 'broadcast' ? 'channels' : 'queues';
    new Logger('PistachioModule').log(
      `Namespace "${options.namespace}" runs on the in-memory broker: its ${kind} live in this process only`,
    );
    if (options.mode === 'broadcast') {
      return new MemoryChannelBroker(options);
    }
    return options.delivery === 'at-least-once' ? new AcknowledgedMemoryBroker(options, events) : new MemoryBroker(options);
  },
  inject: [PISTACHIO_OPTIONS, PISTACHIO_MONITOR, RedisDeployments],
};
