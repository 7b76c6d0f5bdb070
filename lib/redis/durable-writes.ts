import type { Redis } from 'ioredis';
import type { PistachioDurability } from '../interfaces/index.js';
import { connectionFor, RedisCommands } from './redis-client.js';
import { SingleSendConnection, WaitForReady } from './single-send-connection.js';

/** A write that fewer replicas than asked confirmed within the timeout: a failover may yet lose it. */
export class NotDurableError extends Error {
  constructor(
    readonly replicas: number,
    readonly confirmed: number,
    timeout: number,
    /** What the write answered. */
    readonly written: unknown,
  ) {
    super(`${confirmed} of ${replicas} replicas confirmed the write within ${timeout} ms`);
  }
}

/**
 * Writes that resolve once `replicas` replicas have them: Redis's WAIT, sent after them on the connection that wrote
 * them (on a Cluster, the connection to the key's master), one WAIT for the writes of one event-loop turn. A script
 * cannot call WAIT, and a WAIT holds its connection until the replicas answer, so these writes have a connection of
 * their own: polls are not held up behind them when a replica lags.
 */
export class DurableWrites {
  /** The WAIT to be sent at the end of this turn, per connection. */
  private readonly waits = new Map<Redis, Promise<number>>();

  constructor(
    readonly connection: SingleSendConnection,
    private readonly durability: PistachioDurability,
  ) {}

  /** Sends the write (see SingleSendConnection.sendWhenReady); rejects with NotDurableError when too few replicas confirm it. */
  async write<T>(command: (client: RedisCommands) => Promise<T>, options: WaitForReady & { key: string }): Promise<T> {
    const result = await this.connection.sendWhenReady(command, options);
    const connection = connectionFor(this.connection.client, options.key);
    const confirmed = connection ? await this.confirmation(connection) : 0;
    if (confirmed < this.durability.replicas) {
      throw new NotDurableError(this.durability.replicas, confirmed, this.durability.timeout, result);
    }
    return result;
  }

  /** How many replicas have everything written on `connection` so far. */
  private confirmation(connection: Redis): Promise<number> {
    let waiting = this.waits.get(connection);
    if (!waiting) {
      const { replicas, timeout } = this.durability;
      waiting = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        // Sent now: a write answered from here on needs the next WAIT.
        this.waits.delete(connection);
        return connection.wait(replicas, timeout).catch(() => 0);
      });
      this.waits.set(connection, waiting);
    }
    return waiting;
  }
}
