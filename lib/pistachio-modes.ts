import type { Type } from '@nestjs/common';
import type { ModeBrokers } from './brokers/broker.provider.js';
import { AcknowledgedMemoryBroker } from './brokers/memory/acknowledged-memory.broker.js';
import { MemoryBroker } from './brokers/memory/memory.broker.js';
import { AcknowledgedRedisBroker } from './brokers/redis/acknowledged-redis.broker.js';
import { RedisBroker } from './brokers/redis/redis.broker.js';
import { MemoryChannelBroker } from './channels/memory/memory-channel.broker.js';
import { RedisChannelBroker } from './channels/redis/redis-channel.broker.js';
import { AcknowledgingController } from './http/acknowledging.controller.js';
import { PistachioController } from './http/pistachio.controller.js';
import { AcknowledgedQueuePolls } from './http/polls/acknowledged-queue-polls.js';
import { ChannelPolls } from './http/polls/channel-polls.js';
import type { EndpointPolls } from './http/polls/endpoint-polls.interface.js';
import { QueuePolls } from './http/polls/queue-polls.js';
import { ChannelStreams } from './http/streams/channel-streams.js';
import type { EndpointStreams } from './http/streams/endpoint-streams.interface.js';
import { NoStreams } from './http/streams/no-streams.js';
import { QueueStreams } from './http/streams/queue-streams.js';
import type { PistachioModuleExtras } from './interfaces/index.js';
import { PistachioAcknowledgedQueue } from './pistachio-acknowledged-queue.js';
import { PistachioChannel } from './pistachio-channel.js';
import { PistachioQueue } from './pistachio-queue.js';
import { getPistachioChannelToken, getPistachioQueueToken } from './pistachio-token.js';

/** What a registration's mode makes of it: its brokers, the injectable it offers beside PistachioService, its route. */
export interface PistachioMode {
  /** Where its endpoints are stored. */
  brokers: ModeBrokers;
  /** The mode's own injectable. */
  api: Type;
  /** Its token for a registration's name (the unnamed one's may be another class: PistachioQueue for acknowledged). */
  token: (name?: string) => string | Type;
  /** How the route answers polls. */
  polls: Type<EndpointPolls>;
  /** How the route answers streams (`Accept: text/event-stream`). */
  streams: Type<EndpointStreams>;
  /** The route's methods. */
  controller: Type<PistachioController>;
}

const AT_MOST_ONCE: PistachioMode = {
  brokers: {
    endpoints: 'queues',
    memory: (options, events) => new MemoryBroker(options, events),
    redis: (options, events, deployments) => RedisBroker.connect(options, events, deployments),
  },
  api: PistachioQueue,
  token: getPistachioQueueToken,
  polls: QueuePolls,
  streams: QueueStreams,
  controller: PistachioController,
};
const AT_LEAST_ONCE: PistachioMode = {
  brokers: {
    endpoints: 'queues',
    memory: (options, events) => new AcknowledgedMemoryBroker(options, events),
    redis: (options, events, deployments) => AcknowledgedRedisBroker.connect(options, events, deployments),
  },
  api: PistachioAcknowledgedQueue,
  token: getPistachioQueueToken,
  polls: AcknowledgedQueuePolls,
  streams: NoStreams,
  controller: AcknowledgingController,
};
const BROADCAST: PistachioMode = {
  brokers: {
    endpoints: 'channels',
    memory: (options) => new MemoryChannelBroker(options),
    redis: (options, _, deployments) => RedisChannelBroker.connect(options, deployments),
  },
  api: PistachioChannel,
  token: getPistachioChannelToken,
  polls: ChannelPolls,
  streams: ChannelStreams,
  controller: PistachioController,
};

/**
 * The mode a registration's `mode` and `delivery` choose, when the module is defined; values that no mode has are
 * refused at start-up with the options (see resolvePistachioOptions).
 */
export function pistachioMode({ mode, delivery }: Pick<PistachioModuleExtras, 'mode' | 'delivery'>): PistachioMode {
  if (mode === 'broadcast') {
    return BROADCAST;
  }
  return delivery === 'at-least-once' ? AT_LEAST_ONCE : AT_MOST_ONCE;
}
