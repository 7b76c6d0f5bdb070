import type { Type } from '@nestjs/common';
import { PistachioHealthIndicator } from './monitoring/pistachio-health.indicator.js';
import { PistachioChannel } from './pistachio-channel.js';
import { PistachioQueue } from './pistachio-queue.js';
import { PistachioService } from './pistachio.service.js';

/**
 * The injection token of a registration's PistachioService: the class itself for the unnamed registration, a token of
 * its own for each `name`.
 */
export function getPistachioToken(name?: string): string | typeof PistachioService {
  return registrationToken(PistachioService, name);
}

/**
 * The injection token of a queue registration's PistachioQueue (a PistachioAcknowledgedQueue when it delivers at least
 * once): the class PistachioQueue for the unnamed registration, a token of its own for each `name`.
 */
export function getPistachioQueueToken(name?: string): string | typeof PistachioQueue {
  return registrationToken(PistachioQueue, name);
}

/**
 * The injection token of a broadcast registration's PistachioChannel: the class itself for the unnamed registration, a
 * token of its own for each `name`.
 */
export function getPistachioChannelToken(name?: string): string | typeof PistachioChannel {
  return registrationToken(PistachioChannel, name);
}

/**
 * The injection token of a registration's PistachioHealthIndicator: the class itself for the unnamed registration, a
 * token of its own for each `name`.
 */
export function getPistachioHealthIndicatorToken(name?: string): string | typeof PistachioHealthIndicator {
  return registrationToken(PistachioHealthIndicator, name);
}

/** The class for the unnamed registration, so that plain constructor injection finds it; `<class>:<name>` otherwise. */
function registrationToken<T extends Type>(type: T, name: string | undefined): string | T {
  return name === undefined ? type : `${type.name}:${name}`;
}
