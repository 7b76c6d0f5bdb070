import { setTimeout as delay } from 'node:timers/promises';
import { request } from './http-client.js';

/** A client's pause after a failed request: clients back off rather than spin on a server that is gone. */
const BACKOFF_MS = 10;

/** One message as a client received it. */
export interface Received {
  message: string;
  deliveryCount: number;
}

/**
 * Clients that poll in a loop and acknowledge each message with their next poll (`?ack=`), as the reference client
 * does: a 409 drops the acknowledgement (its message comes again), a failure keeps it for the next poll.
 */
export class AcknowledgingPollers {
  readonly received: Received[] = [];
  refused = 0;
  failures = 0;
  private stopped = false;
  private readonly loops: Promise<void>[];

  /** `count` clients; client `i` polls the URL `urlOf(i)` gives at each poll, so that it can move to another instance. */
  constructor(count: number, private readonly urlOf: (client: number) => string) {
    this.loops = Array.from({ length: count }, (_, client) => this.loop(client));
  }

  /** Ends the loops after their current poll, whose acknowledgement then went through or was refused. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async loop(client: number): Promise<void> {
    let ack: string | undefined;
    while (!this.stopped) {
      try {
        const answer = await request(`${this.urlOf(client)}?timeout=1000${ack ? `&ack=${ack}` : ''}`);
        if (answer.status === 200) {
          this.received.push({ message: answer.body, deliveryCount: Number(answer.headers['pistachio-delivery-count']) });
          ack = String(answer.headers['pistachio-receipt']);
        } else if (answer.status === 504 || answer.status === 409) {
          this.refused += answer.status === 409 ? 1 : 0;
          ack = undefined;
        } else {
          this.failures++;
          await delay(BACKOFF_MS);
        }
      } catch {
        this.failures++;
        await delay(BACKOFF_MS);
      }
    }
  }
}
