import type { BrokerStats } from './pistachio-stats.interface.js';

/** What PistachioHealthIndicator reports of a registration: up with its broker's kind, or down with the reason. */
export type PistachioHealthDetails =
  | { status: 'up'; broker: BrokerStats['type'] }
  | { status: 'down'; reason: string };

/**
 * The result of PistachioHealthIndicator.isHealthy(key): `@nestjs/terminus`'s HealthIndicatorResult shape, spelled out
 * here so that apps without Terminus type-check too.
 */
export type PistachioHealthResult<Key extends string = string> = Record<Key, PistachioHealthDetails>;
