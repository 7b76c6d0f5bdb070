import type { Redis } from 'ioredis';
import type { Writable } from 'node:stream';
import { holdWrites } from './ioredis-internals.js';

/**
 * Holds connections' writes until the event loop has run the I/O callbacks that are ready: the commands of many polls
 * and publishes then leave in one write per connection instead of a syscall each. A command held when its connection
 * drops fails like one whose reply was lost, which is what its sender assumes anyway.
 */
export class WriteCoalescer {
  /** The sockets held until the end of this turn, by connection. */
  private readonly held = new Map<Redis, Writable>();

  /** Holds `connection`'s writes until the end of this turn (no-op when they are held already or cannot be). */
  hold(connection: Redis): void {
    if (this.held.has(connection)) {
      return;
    }
    const socket = holdWrites(connection);
    if (!socket) {
      return;
    }
    if (this.held.size === 0) {
      setImmediate(() => {
        this.held.forEach((held) => held.uncork());
        this.held.clear();
      });
    }
    this.held.set(connection, socket);
  }
}
