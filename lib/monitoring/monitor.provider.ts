import type { Provider } from '@nestjs/common';
import type { ResolvedPistachioOptions } from '../interfaces/index.js';
import { PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from '../pistachio.constants.js';
import { RegistrationMonitor } from './registration-monitor.js';

/** The registration's monitor, with its Prometheus metrics registered before the app starts when `metrics` is on. */
export const monitorProvider: Provider<RegistrationMonitor> = {
  provide: PISTACHIO_MONITOR,
  useFactory: (options: ResolvedPistachioOptions) => RegistrationMonitor.create(options),
  inject: [PISTACHIO_OPTIONS],
};
