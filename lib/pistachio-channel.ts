import { Inject, Injectable } from '@nestjs/common';
import type { ChannelBroker } from './channels/channel-broker.interface.js';
import { parseCursor } from './channels/channel-id.js';
import { endpointKey } from './endpoint-key.js';
import type { ChannelRead, ChannelReadOptions, ResolvedPistachioOptions } from './interfaces/index.js';
import type { RegistrationMonitor } from './monitoring/registration-monitor.js';
import { PISTACHIO_BROKER, PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from './pistachio.constants.js';
import { Receives } from './receives.js';

/**
 * Reads the channels of a registration with `mode: 'broadcast'`: every reader gets every message, by cursor. Injected
 * with `@InjectPistachioChannel(name?)`.
 */
@Injectable()
export class PistachioChannel {
  /** @internal Nest creates it for the registration. */
  constructor(
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_BROKER) private readonly broker: ChannelBroker,
    @Inject(Receives) private readonly receives: Receives,
    @Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor,
  ) {}

  /**
   * Up to `max` messages of the channel `endpoint` after the cursor `after` (the id of the last message read), at once
   * when the channel retains some, else the next one to come; without a cursor, the next message published. Empty when
   * none came within the timeout; `gap` says that messages after the cursor are gone.
   */
  async read(endpoint: string, { after, timeout = this.options.timeout, signal, max = 1 }: ChannelReadOptions = {}): Promise<ChannelRead> {
    const key = endpointKey(this.options.namespace, endpoint);
    const cursor = after === undefined ? undefined : parseCursor(after);
    const read = await this.receives.wait([endpoint], { timeout, max, signal }, 'read()', (aborted) =>
      this.broker.read(key, { after: cursor, max, timeout, signal: aborted }),
    );
    this.monitor.delivered(read.messages.length, 0);
    return read;
  }
}
