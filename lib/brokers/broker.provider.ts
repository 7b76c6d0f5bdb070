import { Logger, Provider } from '@nestjs/common';
import type { ResolvedPistachioOptions } from '../interfaces/index.js';
import type { BrokerEvents } from '../monitoring/delivery-events.interface.js';
import { PISTACHIO_BROKER, PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from '../pistachio.constants.js';
import { Broker } from './broker.interface.js';
import { MemoryBroker } from './memory/memory.broker.js';
import { AcknowledgedRedisBroker } from './redis/acknowledged-redis.broker.js';
import { RedisBroker } from './redis/redis.broker.js';

/**
 * The registration's broker: Redis when the `redis` option is set, connected before the app starts, else memory; at
 * least once or at most once as `delivery` says. It reports what only it sees to the registration's monitor.
 */
export const brokerProvider: Provider<Broker> = {
  provide: PISTACHIO_BROKER,
  useFactory: async (options: ResolvedPistachioOptions, events: BrokerEvents): Promise<Broker> => {
    if (options.redis !== undefined) {
      return options.delivery === 'at-least-once'
        ? AcknowledgedRedisBroker.connect(options, events)
        : RedisBroker.connect(options, events);
    }
    new Logger('PistachioModule').log(
      `Namespace "${options.namespace}" runs on the in-memory broker: its queues live in this process only`,
    );
    return new MemoryBroker(options, events);
  },
  inject: [PISTACHIO_OPTIONS, PISTACHIO_MONITOR],
};
