import { Server } from 'node:http';
import { promisify } from 'node:util';
import { LeavingPoll, leavingPoll } from './http-client.js';
import { MessageLedger } from './message-ledger.js';
import { TestApp } from './start-app.js';
import { until } from './until.js';

/** Clients that poll in a loop, some of them leaving mid-poll at a random moment, until stopped. */
export class LeavingPollers {
  readonly delivered: string[] = [];
  polls = 0;
  left = 0;
  private readonly current = new Set<LeavingPoll>();
  private readonly loops: Promise<void>[];
  private stopped = false;

  /** One looping client per URL; each poll leaves with `leaveChance`, within `leaveWithinMs`. */
  constructor(urls: string[], private readonly leaveChance: number, private readonly leaveWithinMs: number) {
    this.loops = urls.map((url) => this.loop(url));
  }

  /** Ends every loop: the polls still waiting leave. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.current.forEach((poll) => poll.leave());
    await Promise.all(this.loops);
  }

  private async loop(url: string): Promise<void> {
    while (!this.stopped) {
      const poll = leavingPoll(url);
      this.current.add(poll);
      this.polls++;
      if (Math.random() < this.leaveChance) {
        this.left++;
        setTimeout(poll.leave, Math.random() * this.leaveWithinMs);
      }
      const answer = await poll.answer;
      this.current.delete(poll);
      if (answer?.status === 200) {
        this.delivered.push(answer.body);
      }
    }
  }
}

/**
 * Receives what is left in the queues once every client connection has closed, and so every message taken for a
 * client that left has been given back.
 */
export async function drainAfterClients(app: TestApp, endpoints: string[]): Promise<string[]> {
  const server: Server = app.app.getHttpServer();
  await until(async () => (await promisify(server.getConnections.bind(server))()) === 0);
  const left: string[] = [];
  for (const endpoint of endpoints) {
    for (let n = await app.pistachio.length(endpoint); n > 0; n--) {
      left.push(String(await app.queue.receive(endpoint)));
    }
  }
  return left;
}

/**
 * Waits until the pollers have emptied the queues of `endpoints`, stops them, records what they received in `ledger`,
 * and answers what was left queued (see drainAfterClients).
 */
export async function stopWhenDrained(
  app: TestApp,
  pollers: LeavingPollers,
  endpoints: string[],
  ledger: MessageLedger,
): Promise<string[]> {
  const lengths = () => Promise.all(endpoints.map((endpoint) => app.pistachio.length(endpoint)));
  await until(async () => (await lengths()).every((length) => length === 0), 30_000);
  await pollers.stop();
  pollers.delivered.forEach((message) => ledger.deliver(message));
  return drainAfterClients(app, endpoints);
}
