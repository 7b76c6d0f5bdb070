import { PistachioService } from './pistachio.service.js';

/**
 * The injection token of a registration's PistachioService: the class itself for the unnamed registration, a token of
 * its own for each `name`.
 */
export function getPistachioToken(name?: string): string | typeof PistachioService {
  return name === undefined ? PistachioService : `PistachioService:${name}`;
}
