import type { Provider } from '@nestjs/common';
import type { ResolvedPistachioOptions } from '../interfaces/index.js';
import type { RegistrationMonitor } from '../monitoring/registration-monitor.js';
import { PISTACHIO_MONITOR, PISTACHIO_OPTIONS, PISTACHIO_PRESENCE } from '../pistachio.constants.js';
import { Receives } from '../receives.js';
import { RedisDeployments } from '../redis/redis-deployments.js';
import { LocalPresence } from './local-presence.js';
import type { Presence } from './presence.js';
import { RedisPresence } from './redis-presence.js';

/** The registration's presence, across the app's instances on Redis, else this process's; its total is a gauge. */
export const presenceProvider: Provider<Presence> = {
  provide: PISTACHIO_PRESENCE,
  useFactory: async (options: ResolvedPistachioOptions, receives: Receives, monitor: RegistrationMonitor, deployments: RedisDeployments) => {
    const presence = options.redis === undefined ? new LocalPresence(receives) : await RedisPresence.open(options, receives, deployments);
    monitor.countSubscribersWith(() => presence.total);
    return presence;
  },
  inject: [PISTACHIO_OPTIONS, Receives, PISTACHIO_MONITOR, RedisDeployments],
};
