export { isEndpointName } from './endpoint-name.js';
export * from './errors/index.js';
export * from './interfaces/index.js';
export { InjectPistachio } from './inject-pistachio.decorator.js';
export { InjectPistachioChannel } from './inject-pistachio-channel.decorator.js';
export { InjectPistachioQueue } from './inject-pistachio-queue.decorator.js';
export { InjectPistachioHealthIndicator } from './inject-pistachio-health-indicator.decorator.js';
export type { PistachioHealthDetails, PistachioHealthResult } from './monitoring/pistachio-health-result.interface.js';
export { PistachioHealthIndicator } from './monitoring/pistachio-health.indicator.js';
export {
  DEFAULT_CONTENT_TYPE,
  DEFAULT_PATH,
  DEFAULT_RETRY_AFTER,
  DEFAULT_TIMEOUT,
} from './pistachio.constants.js';
export { PISTACHIO_MODULE_OPTIONS } from './pistachio.module-definition.js';
export { PistachioModule } from './pistachio.module.js';
export { getPistachioChannelToken, getPistachioHealthIndicatorToken, getPistachioQueueToken, getPistachioToken } from './pistachio-token.js';
export { PistachioAcknowledgedQueue } from './pistachio-acknowledged-queue.js';
export { PistachioChannel } from './pistachio-channel.js';
export { PistachioQueue } from './pistachio-queue.js';
export { PistachioService } from './pistachio.service.js';
