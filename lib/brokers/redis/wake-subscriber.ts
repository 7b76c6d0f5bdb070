import type { Redis } from 'ioredis';

/**
 * The Pub/Sub connection that tells this instance when a key it waits on may have a message: publishes (and
 * releases) notify the key's channel, `<key>#wake`, with what the publisher says (a broadcast's message). Channels are
 * subscribed when a key gets waiters and dropped lazily (`prune`), so a poll that comes back costs nothing. ioredis
 * subscribes again after a reconnect; what was published meanwhile is for the caller to find.
 */
export class WakeSubscriber {
  private readonly channels = new Set<string>();

  constructor(
    private readonly connection: Redis,
    onWake: (key: string, payload: Buffer) => void,
  ) {
    connection.on('messageBuffer', (channel: Buffer, payload: Buffer) => onWake(keyOf(channel.toString()), payload));
  }

  /**
   * Calls `then` after each reconnection, once its channels are subscribed again (ioredis's own resubscription is not
   * awaitable): what was published meanwhile is for `then` to find.
   */
  onResubscribed(then: () => void): void {
    this.connection.on('ready', () => {
      const channels = [...this.channels];
      void (channels.length > 0 ? this.connection.subscribe(...channels) : Promise.resolve()).then(then, () => undefined);
    });
  }

  /** Resolves once the channel of `key` is subscribed: `true` when it was subscribed just now, what came before unheard. */
  async watch(key: string): Promise<boolean> {
    const channel = wakeChannel(key);
    if (this.channels.has(channel)) {
      return false;
    }
    this.channels.add(channel);
    await this.connection.subscribe(channel).catch(() => this.channels.delete(channel));
    return true;
  }

  /** Unsubscribes the keys that nobody waits on any more; answers them. */
  prune(isWanted: (key: string) => boolean): string[] {
    const unwanted = [...this.channels].filter((channel) => !isWanted(keyOf(channel)));
    if (unwanted.length > 0) {
      unwanted.forEach((channel) => this.channels.delete(channel));
      this.connection.unsubscribe(...unwanted).catch(() => undefined);
    }
    return unwanted.map(keyOf);
  }

  close(): void {
    this.connection.disconnect();
  }
}

const SUFFIX = '#wake';

/** The channel that wakes the waiters of `key`. */
export function wakeChannel(key: string): string {
  return key + SUFFIX;
}

function keyOf(channel: string): string {
  return channel.slice(0, -SUFFIX.length);
}
