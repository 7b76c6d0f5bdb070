import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { WrongKeyTypeError } from '../../errors/index.js';
import { bulkString, CommandClass, EncodedKey, sendBlockingPop } from './blocking-pop.js';
import { isWrongType } from './redis-replies.js';
import { ReplyLostError, SingleSendConnection } from './single-send-connection.js';

/**
 * Redis-side limit of one BLPOP, in seconds. Finite, so that a read left on a connection that died silently (a
 * "ghost" blocked client) ends by itself; the reader re-arms at once when it expires.
 */
const BLOCK_SECONDS = 5;
/** Wait before retrying CLIENT UNBLOCK for a BLPOP that has not reached Redis yet. */
const UNBLOCK_RETRY_MS = 2;
/** Pause after a read failed for a reason the reader cannot act on, so that a persistent one cannot spin the loop. */
const ERROR_PAUSE_MS = 100;
/** How long stop() lets a pending read end by CLIENT UNBLOCK before it drops the connection (e.g. while offline). */
const STOP_GRACE_MS = 500;

interface WantedKey extends EncodedKey {
  /** How many BLPOPs had been sent when the key was added. */
  since: number;
}

export interface BlockingReaderHooks {
  /** Whether anybody in this process waits on `key`; keys nobody waits on are dropped when the reader re-arms. */
  isWanted(key: string): boolean;
  /** Hands on a message the reader popped: to a waiter, or back to the head of its queue. Never rejects. */
  deliver(key: string, message: Buffer): Promise<void>;
  /** Ends the waits on a key that cannot be read. */
  refuse(key: string, error: WrongKeyTypeError): void;
}

/**
 * One blocking connection of the pool: a loop of BLPOPs over the keys that have waiters here. A key that becomes
 * wanted wakes the pending BLPOP with CLIENT UNBLOCK (sent on the command connection) so that the loop re-arms with
 * it; keys that stop being wanted are dropped lazily at the next re-arm, so a poll that comes back costs nothing.
 * BLPOP answers the first ready key in the order given, so a key just served goes to the back of that order: a busy
 * endpoint cannot starve the others.
 */
export class BlockingReader {
  private readonly logger = new Logger(BlockingReader.name);
  /**
   * The keys to read, in the order of the next BLPOP, with their bytes and the count of BLPOPs sent before each was
   * added: a key is in the pending BLPOP when that count is below `sent`. No copy of the keys per read, which at
   * 10,000 waiting polls would cost as much as the read.
   */
  private readonly wanted = new Map<string, WantedKey>();
  private sent = 0;
  /**
   * The only keys that may have stopped being wanted since the last prune: those whose waits ended, and those wanted
   * since, whose wait may have ended (an abort) before the reader ran.
   */
  private readonly unsure = new Set<string>();
  /** `CLIENT ID` of the connection, read again after every reconnect. */
  private clientId: number | undefined;
  private blocking = false;
  private stale = false;
  private readonly stopping = new AbortController();
  private interrupting = false;
  private wake: (() => void) | undefined;
  private readonly loop: Promise<void>;

  constructor(
    private readonly connection: SingleSendConnection,
    /** ioredis's Command class, for the BLPOPs written from their keys' bytes. */
    private readonly Command: CommandClass,
    private readonly commands: SingleSendConnection,
    private readonly hooks: BlockingReaderHooks,
  ) {
    connection.redis.on('close', () => (this.clientId = undefined));
    this.loop = this.run();
  }

  /** Makes the reader block on `key` too. */
  want(key: string): void {
    const since = this.wanted.get(key)?.since;
    if (since === undefined) {
      this.wanted.set(key, { since: this.sent, bytes: bulkString(key) });
      this.unsure.add(key);
    }
    if (!(this.blocking && since !== undefined && since < this.sent)) {
      this.stale = true;
      this.wake?.();
      void this.interrupt();
    }
  }

  /** Tells the reader that a wait on `key` ended: the key is dropped at the next read if nobody waits on it then. */
  release(key: string): void {
    this.unsure.add(key);
  }

  /** Ends the loop without losing a message that a cancelled read popped anyway, then closes the connection. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.wake?.();
    void this.interrupt();
    await Promise.race([this.loop, delay(STOP_GRACE_MS, undefined, { ref: false })]);
    this.connection.redis.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopping.signal.aborted) {
      this.prune();
      if (this.wanted.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
        continue;
      }
      try {
        const popped = await this.read();
        if (popped) {
          const key = popped[0].toString();
          // The read asked for the key, and nothing drops keys while a read is pending.
          const { bytes } = this.wanted.get(key)!;
          this.wanted.delete(key);
          this.wanted.set(key, { since: this.sent, bytes });
          await this.hooks.deliver(key, popped[1]);
          this.unsure.add(key);
        }
      } catch (error) {
        await this.recover(error as Error);
      }
    }
  }

  private prune(): void {
    for (const key of this.unsure) {
      if (!this.hooks.isWanted(key)) {
        this.wanted.delete(key);
      }
    }
    this.unsure.clear();
  }

  /** One BLPOP over the wanted keys, armed when it goes out (after a reconnect, if need be). */
  private async read(): Promise<[Buffer, Buffer] | null> {
    try {
      return await this.connection.sendWhenReady(
        (redis) => {
          this.sent++;
          this.stale = false;
          if (this.clientId === undefined) {
            // On the same connection as the BLPOP that follows, so that CLIENT UNBLOCK finds it.
            void redis.client('ID').then((id) => (this.clientId = Number(id)), () => undefined);
          }
          this.blocking = true;
          return sendBlockingPop(redis, this.Command, this.wanted, BLOCK_SECONDS);
        },
        { signal: this.stopping.signal, blocksFor: BLOCK_SECONDS * 1_000 },
      );
    } finally {
      this.blocking = false;
    }
  }

  private async recover(error: Error): Promise<void> {
    if (this.stopping.signal.aborted) {
      return;
    }
    if (error instanceof ReplyLostError) {
      this.logger.warn(
        'A blocking Redis read was cut off by a dropped connection; a message Redis handed it in that instant is lost',
      );
    } else if (isWrongType(error) && (await this.refuseForeignKeys().catch(() => 0)) > 0) {
      return;
    } else {
      this.logger.warn(`A blocking Redis read failed; it is re-armed: ${error.message}`);
      await delay(ERROR_PAUSE_MS, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
  }

  /** Finds the read keys that hold something other than a list and ends their waits; answers how many it found. */
  private async refuseForeignKeys(): Promise<number> {
    const keys = [...this.wanted.keys()];
    const types = await this.commands.sendWhenReady((redis) => redis.pipeline(keys.map((key) => ['type', key])).exec(), {
      signal: this.stopping.signal,
    });
    const foreign = keys.flatMap((key, i) => {
      const type = String(types?.[i]?.[1]);
      return type === 'list' || type === 'none' ? [] : [{ key, type }];
    });
    for (const { key, type } of foreign) {
      this.wanted.delete(key);
      this.hooks.refuse(key, new WrongKeyTypeError(key, type));
    }
    return foreign.length;
  }

  /** Wakes the pending BLPOP, retrying while it is still on its way to Redis (UNBLOCK then answers 0). */
  private async interrupt(): Promise<void> {
    if (this.interrupting) {
      return;
    }
    this.interrupting = true;
    try {
      while (this.mustInterrupt()) {
        if (this.clientId !== undefined && (await this.unblock(this.clientId))) {
          break;
        }
        await delay(UNBLOCK_RETRY_MS);
      }
    } finally {
      this.interrupting = false;
    }
    // A key may have become wanted after the read that was just unblocked was armed.
    if (this.mustInterrupt()) {
      void this.interrupt();
    }
  }

  private mustInterrupt(): boolean {
    return this.blocking && (this.stale || this.stopping.signal.aborted);
  }

  /** CLIENT UNBLOCK of the reader's connection; false when it was not blocked, or the command did not get through. */
  private async unblock(clientId: number): Promise<boolean> {
    try {
      return (await this.commands.send((redis: Redis) => redis.client('UNBLOCK', clientId))) === 1;
    } catch {
      return false;
    }
  }
}
