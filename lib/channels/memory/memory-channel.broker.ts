import { ExpiringMap } from '../../brokers/memory/expiring-map.js';
import type { BrokerHealth } from '../../brokers/broker.interface.js';
import { Waiters } from '../../brokers/waiters.js';
import { InvalidCursorError } from '../../errors/index.js';
import type { ChannelMessage, ChannelRead } from '../../interfaces/index.js';
import type { BrokerStats } from '../../monitoring/pistachio-stats.interface.js';
import { ChannelBroker, ChannelReadRequest, ChannelSettings } from '../channel-broker.interface.js';
import { nextId, ORIGIN, predecessor } from '../channel-id.js';
import { RetainedLog } from '../retained-log.js';

/** Channels in this process's memory, each a ring of its latest messages: for a single instance and for tests. */
export class MemoryChannelBroker implements ChannelBroker {
  private readonly channels: ExpiringMap<RetainedLog>;
  private readonly waiters = new Waiters<ChannelRead>();
  /** The latest id given out, by any channel: a channel that expired and comes back goes on after its old ids. */
  private lastId: string | undefined;

  constructor(settings: ChannelSettings) {
    // Created by a publish, which knows of nothing before the message it appends: lastId, set just before.
    this.channels = new ExpiringMap(settings.messageTtl, () => new RetainedLog(settings.retention, predecessor(this.lastId!), true));
  }

  async publish(key: string, message: Buffer): Promise<string> {
    const id = (this.lastId = nextId(this.lastId, Date.now()));
    const published: ChannelMessage = { id, message };
    this.channels.write(key).append(published);
    this.waiters.handEach(key, { messages: [published], gap: false });
    return id;
  }

  async read(key: string, { after, max, timeout, signal }: ChannelReadRequest): Promise<ChannelRead> {
    signal?.throwIfAborted();
    const log = this.channels.get(key);
    if (after !== undefined) {
      // In the same turn as the wait below: a publish between the two would be missed by both.
      const retained = this.retained(key, after, max);
      if (retained.messages.length > 0) {
        return retained;
      }
    }
    const next = await this.waiters.wait(key, { timeout, signal, max });
    // A cursor on a channel that expired (or died with a process) may have missed what it had.
    const gap = after !== undefined && after !== ORIGIN && !log;
    return next ? { messages: next.messages, gap } : { messages: [], gap: false };
  }

  async readRetained(key: string, after: string, max: number): Promise<ChannelRead> {
    return this.retained(key, after, max);
  }

  private retained(key: string, after: string, max: number): ChannelRead {
    const found = this.channels.get(key)?.after(after, max) ?? [];
    if (found === 'ahead') {
      throw new InvalidCursorError(after, "it is newer than the channel's latest message");
    }
    return found === 'behind' ? { messages: this.channels.get(key)!.oldest(max), gap: true } : { messages: found, gap: false };
  }

  async latest(key: string): Promise<string> {
    return this.channels.get(key)?.head ?? ORIGIN;
  }

  async length(key: string): Promise<number> {
    return this.channels.get(key)?.length ?? 0;
  }

  stats(): BrokerStats {
    return { type: 'memory' };
  }

  /** The channels are in this process: whenever it answers, they can serve. */
  async health(): Promise<BrokerHealth> {
    return { up: true };
  }

  /** The channels live in this process: they end with it. */
  async close(): Promise<void> {
    this.channels.stopExpiring();
  }
}
