import type { ChannelBroker } from './channel-broker.interface.js';

/**
 * Where a read of several channels (or a stream) starts in each: the position `given` names, else after the channel's
 * latest message, so that what is published from now on reaches it. `keyOf` gives a channel's key.
 */
export async function startPositions(
  broker: ChannelBroker,
  keyOf: (channel: string) => string,
  channels: string[],
  given: Map<string, string>,
): Promise<Map<string, string>> {
  return new Map(await Promise.all(channels.map(async (channel) => [channel, given.get(channel) ?? (await broker.latest(keyOf(channel)))] as const)));
}
