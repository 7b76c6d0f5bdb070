import type { Type } from '@nestjs/common';
import { PistachioHealthIndicator } from './monitoring/pistachio-health.indicator.js';
import { PistachioService } from './pistachio.service.js';

/**
 * The injection token of a registration's PistachioService: the class itself for the unnamed registration, a token of
 * its own for each `name`.
 */
export function getPistachioToken(name?: string): string | typeof PistachioService {
  return registrationToken(PistachioService, name);
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
