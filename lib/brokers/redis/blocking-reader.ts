import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Redis-side limit of one BLPOP, in seconds. Finite, so that a read left on a connection that died silently (a
 * "ghost" blocked client) ends by itself; the reader re-arms at once when it expires.
 */
const BLOCK_SECONDS = 5;
/** Wait before retrying CLIENT UNBLOCK for a BLPOP that has not reached Redis yet. */
const UNBLOCK_RETRY_MS = 2;
/** Pause after a failed read, so that a persistent error (e.g. a key that is not a list) cannot spin the loop. */
const ERROR_PAUSE_MS = 100;
/** How long stop() lets a pending read end by CLIENT UNBLOCK before it drops the connection (e.g. while offline). */
const STOP_GRACE_MS = 500;

export interface BlockingReaderHooks {
  /** Whether anybody in this process waits on `key`; keys nobody waits on are dropped when the reader re-arms. */
  isWanted(key: string): boolean;
  /** Hands on a message the reader popped: to a waiter, or back to the head of its queue. Never rejects. */
  deliver(key: string, message: Buffer): Promise<void>;
}

/**
 * One blocking connection of the pool: a loop of BLPOPs over the keys that have waiters here. A key that becomes
 * wanted wakes the pending BLPOP with CLIENT UNBLOCK (sent on the command connection) so that the loop re-arms with
 * it; keys that stop being wanted are dropped lazily at the next re-arm, so a poll that comes back costs nothing.
 */
export class BlockingReader {
  private readonly logger = new Logger('PistachioModule');
  private readonly wanted = new Set<string>();
  private armed = new Set<string>();
  /** `CLIENT ID` of the connection, read again after every reconnect. */
  private clientId: number | undefined;
  private reading = false;
  private stale = false;
  private stopping = false;
  private interrupting = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;

  constructor(
    private readonly connection: Redis,
    private readonly commands: Redis,
    private readonly hooks: BlockingReaderHooks,
  ) {
    connection.on('close', () => (this.clientId = undefined));
    this.loop = this.run();
  }

  /** Makes the reader block on `key` too. */
  want(key: string): void {
    if (this.armed.has(key) && this.reading) {
      return;
    }
    this.wanted.add(key);
    this.stale = true;
    this.wake?.();
    void this.interrupt();
  }

  /** Ends the loop without losing a message that a cancelled read popped anyway, then closes the connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    void this.interrupt();
    await Promise.race([this.loop, delay(STOP_GRACE_MS, undefined, { ref: false })]);
    this.connection.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      for (const key of this.wanted) {
        if (!this.hooks.isWanted(key)) {
          this.wanted.delete(key);
        }
      }
      this.armed = new Set(this.wanted);
      this.stale = false;
      if (this.armed.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      try {
        const popped = await this.read([...this.armed]);
        if (popped) {
          await this.hooks.deliver(popped[0].toString(), popped[1]);
        }
      } catch (error) {
        if (!this.stopping) {
          this.logger.warn(`A blocking Redis read failed; it is re-armed: ${(error as Error).message}`);
          await delay(ERROR_PAUSE_MS);
        }
      }
    }
  }

  private async read(keys: string[]): Promise<[Buffer, Buffer] | null> {
    this.reading = true;
    // Without autoResendUnfulfilledCommands, ioredis drops the commands a lost connection had sent and never settles
    // them: the read ends when the connection closes instead.
    let onClose!: () => void;
    const closed = new Promise<never>((_, reject) => {
      onClose = () => reject(new Error('the blocking connection closed'));
      this.connection.once('close', onClose);
    });
    try {
      this.clientId ??= Number(await Promise.race([this.connection.client('ID'), closed]));
      return await Promise.race([this.connection.blpopBuffer(...keys, BLOCK_SECONDS), closed]);
    } finally {
      this.connection.off('close', onClose);
      this.reading = false;
    }
  }

  /** Wakes the pending BLPOP, retrying while it is still on its way to Redis (UNBLOCK then answers 0). */
  private async interrupt(): Promise<void> {
    if (this.interrupting) {
      return;
    }
    this.interrupting = true;
    try {
      while (this.reading && (this.stale || this.stopping)) {
        const unblocked = this.clientId !== undefined && (await this.commands.client('UNBLOCK', this.clientId)) === 1;
        if (unblocked) {
          break;
        }
        await delay(UNBLOCK_RETRY_MS);
      }
    } catch (error) {
      this.logger.warn(`CLIENT UNBLOCK failed; the read re-arms within ${BLOCK_SECONDS} s: ${(error as Error).message}`);
    } finally {
      this.interrupting = false;
    }
    // A key may have become wanted after the read that was just unblocked was armed.
    if (this.reading && (this.stale || this.stopping) && !this.interrupting) {
      void this.interrupt();
    }
  }
}
