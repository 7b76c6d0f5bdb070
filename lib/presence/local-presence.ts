import type { Receives } from '../receives.js';
import type { Presence } from './presence.js';

/** Presence on the in-memory broker: the endpoints live in this process, so its receives are all there is. */
export class LocalPresence implements Presence {
  constructor(private readonly receives: Receives) {}

  async count(endpoint: string): Promise<number> {
    return this.receives.waitingOn(endpoint);
  }

  get total(): number {
    return this.receives.count;
  }

  async close(): Promise<void> {}
}
