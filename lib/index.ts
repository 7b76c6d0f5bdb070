export { isEndpointName } from './endpoint-name.js';
export * from './errors/index.js';
export type {
  AcknowledgedReceiveOptions,
  AuthorizeHook,
  ChannelMessage,
  ChannelRead,
  ChannelReadOptions,
  DeadLetters,
  Delivery,
  DeliveryMode,
  EndpointChannelMessage,
  EndpointDelivery,
  MultiplexedChannelRead,
  OverflowPolicy,
  PistachioAtLeastOnceOptions,
  PistachioAtMostOnceOptions,
  PistachioBroadcastOptions,
  PistachioClusterOption,
  PistachioCommonOptions,
  PistachioCorsOptions,
  PistachioDurability,
  PistachioMetricsOptions,
  PistachioModuleExtras,
  PistachioModuleOptions,
  PistachioQueueCommonOptions,
  PistachioRedisClient,
  PistachioRedisOptions,
  PistachioRootOptions,
  PistachioStreamOptions,
  PollRequest,
  PublishOptions,
  ReceiveDeliveriesOptions,
  ReceiveOptions,
  RegistrationMode,
} from './interfaces/index.js';
export { InjectPistachio } from './inject-pistachio.decorator.js';
export { InjectPistachioChannel } from './inject-pistachio-channel.decorator.js';
export { InjectPistachioHealthIndicator } from './inject-pistachio-health-indicator.decorator.js';
export { InjectPistachioQueue } from './inject-pistachio-queue.decorator.js';
export type { PistachioHealthDetails, PistachioHealthResult } from './monitoring/pistachio-health-result.interface.js';
export { PistachioHealthIndicator } from './monitoring/pistachio-health.indicator.js';
export type { BrokerStats, PistachioStats, RedisConnectionStats, RedisNodeStats } from './monitoring/pistachio-stats.interface.js';
export { PistachioModule } from './pistachio.module.js';
export { getPistachioChannelToken, getPistachioHealthIndicatorToken, getPistachioQueueToken, getPistachioToken } from './pistachio-token.js';
export { PistachioAcknowledgedQueue } from './pistachio-acknowledged-queue.js';
export { PistachioChannel } from './pistachio-channel.js';
export { PistachioQueue } from './pistachio-queue.js';
export { PistachioService } from './pistachio.service.js';
