import { Inject, Injectable } from '@nestjs/common';
import type { HealthIndicatorService } from '@nestjs/terminus';
import type { Broker } from '../brokers/broker.interface.js';
import type { ChannelBroker } from '../channels/channel-broker.interface.js';
import { importPeer } from '../optional-peer.js';
import { PISTACHIO_BROKER } from '../pistachio.constants.js';
import type { PistachioHealthResult } from './pistachio-health-result.interface.js';

/**
 * The `@nestjs/terminus` health indicator of one registration: up when its broker can serve (every Redis master
 * answers a PING within 1 s and the other connections to it, the wake-up subscriber and the durable one, are ready;
 * the memory broker always), down with the reason otherwise, which Terminus answers with a 503.
 *
 * @example
 * // in a controller that injects HealthCheckService (TerminusModule) and PistachioHealthIndicator
 * this.health.check([() => this.pistachio.isHealthy('pistachio')]);
 */
@Injectable()
export class PistachioHealthIndicator {
  /** Loaded at the first check: Terminus is an optional peer, which apps without health checks do not install. */
  private terminus?: Promise<HealthIndicatorService>;

  /** @internal Nest creates it for the registration. */
  constructor(@Inject(PISTACHIO_BROKER) private readonly broker: Pick<Broker | ChannelBroker, 'health' | 'stats'>) {}

  /**
   * Whether the registration's broker can serve now, under `key`: `{ [key]: { status: 'up', broker: 'redis' } }`, or
   * `{ [key]: { status: 'down', reason } }`. Rejects with a MissingPeerError when `@nestjs/terminus` is not installed.
   */
  async isHealthy<const Key extends string>(key: Key): Promise<PistachioHealthResult<Key>> {
    this.terminus ??= importPeer(() => import('@nestjs/terminus'), '@nestjs/terminus', 'PistachioHealthIndicator').then(
      ({ HealthIndicatorService }) => new HealthIndicatorService(),
    );
    const [indicator, health] = await Promise.all([this.terminus.then((terminus) => terminus.check(key)), this.broker.health()]);
    return health.up ? indicator.up({ broker: this.broker.stats().type }) : indicator.down({ reason: health.reason });
  }
}
