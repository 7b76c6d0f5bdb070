import type { Provider } from '@nestjs/common';
import type { ResolvedPistachioOptions } from '../interfaces/index.js';
import { PISTACHIO_OPTIONS, PISTACHIO_POLLS } from '../pistachio.constants.js';
import { PistachioService } from '../pistachio.service.js';
import { ChannelPolls } from './channel-polls.js';
import type { EndpointPolls } from './endpoint-polls.interface.js';
import { QueuePolls } from './queue-polls.js';

/** How the registration's route answers polls: as its `mode` says. */
export const pollsProvider: Provider<EndpointPolls> = {
  provide: PISTACHIO_POLLS,
  useFactory: (pistachio: PistachioService, options: ResolvedPistachioOptions): EndpointPolls =>
    options.mode === 'broadcast' ? new ChannelPolls(pistachio, options) : new QueuePolls(pistachio, options),
  inject: [PistachioService, PISTACHIO_OPTIONS],
};
