import { Logger, Provider } from '@nestjs/common';
import { ResolvedPistachioOptions } from '../interfaces/index.js';
import { PISTACHIO_BROKER, PISTACHIO_OPTIONS } from '../pistachio.constants.js';
import { Broker } from './broker.interface.js';
import { MemoryBroker } from './memory.broker.js';

export const brokerProvider: Provider<Broker> = {
  provide: PISTACHIO_BROKER,
  useFactory: (options: ResolvedPistachioOptions): Broker => {
    new Logger('PistachioModule').log(
      `Namespace "${options.namespace}" runs on the in-memory broker: its queues live in this process only`,
    );
    return new MemoryBroker();
  },
  inject: [PISTACHIO_OPTIONS],
};
