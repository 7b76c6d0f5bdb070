import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { setTimeout as delay } from 'node:timers/promises';
import { abortable } from './abortable.js';
import {
  addressOf,
  dropConnection,
  followsSentinels,
  isCluster,
  wasCutOff,
  wasNotSent,
  wasRefusedByCluster,
  writesNow,
} from './ioredis-internals.js';
import { connectionFor, RedisClient, RedisCommands } from './redis-client.js';
import { wasRefusedByReplica } from './redis-replies.js';
import { WriteCoalescer } from './write-coalescer.js';

/** The connection dropped after the command went out and before its reply came: Redis may or may not have run it. */
export class ReplyLostError extends Error {
  constructor() {
    super('The Redis connection dropped before the reply came');
  }
}

/**
 * The command did not run: the connection was not ready for it, or a Cluster (or a master turned replica) refused it.
 * Sending it again is safe.
 */
export class NotSentError extends Error {
  constructor(
    /** Redis answered, refusing it for now: asking again at once would only be refused again. */
    readonly refused = false,
  ) {
    super(refused ? 'The Redis Cluster refused the command for now' : 'The Redis connection was not ready for the command');
  }
}

/**
 * How long a command may wait for its reply (beyond the time it blocks for) before its connection counts as dead: a
 * network that drops packets without closing the connection would otherwise hold it until TCP gives up, many minutes.
 */
const REPLY_TIMEOUT_MS = 5_000;
/** How often a connection looks for overdue replies. */
const WATCH_EVERY_MS = 1_000;
/**
 * How often a Cluster command waiting for its master (a failover) or refused (CLUSTERDOWN) looks again, and how often
 * it asks the Cluster who serves what.
 */
const CLUSTER_LOOK_EVERY_MS = 50;
const CLUSTER_REFRESH_EVERY_MS = 250;

/**
 * What a client needs to be a SingleSendConnection: nothing queued while offline, nothing sent again after a reconnect.
 * A Cluster never re-sends a command whose connection closed (`retryDelayOnFailover: 0`); it still follows `MOVED`,
 * `ASK`, `TRYAGAIN` and `CLUSTERDOWN`, which Redis answers without running the command.
 */
export const SINGLE_SEND_OPTIONS = { enableOfflineQueue: false, autoResendUnfulfilledCommands: false } as const;
export const SINGLE_SEND_CLUSTER_OPTIONS = {
  enableOfflineQueue: false,
  retryDelayOnFailover: 0,
  clusterNodeRetryStrategy: null,
} as const;

export interface SendOptions {
  /** The key the command is for: on a Cluster, it says which master's connection carries it. */
  key?: string;
  /** Milliseconds the command blocks in Redis (a WAIT's timeout) before it answers. Default 0. */
  blocksFor?: number;
}

export interface WaitForReady extends SendOptions {
  /** Ends the wait with its reason. */
  signal?: AbortSignal;
  /** Ends the wait with a timeout error after so many milliseconds (its timer starts only if there is a wait). */
  within?: number;
}

/**
 * A client (one Redis, or a Cluster) that sends each command once at most. By default ioredis sends a command again
 * when a dropped connection lost its reply, and so runs it twice (a second pop, a second append); here such a command
 * rejects with ReplyLostError, and the caller decides. A connection that stops answering is replaced, with the same
 * outcome for the commands it held. Open the client with SINGLE_SEND_OPTIONS (a Cluster: SINGLE_SEND_CLUSTER_OPTIONS).
 */
export class SingleSendConnection {
  private readonly logger = new Logger(SingleSendConnection.name);
  /** The commands sent and not yet answered: their rejecters, with when their reply is overdue and their key. */
  private readonly unanswered = new Map<(error: Error) => void, { overdue: number; key?: string }>();
  private lastLook = Date.now();
  private lastRefresh = 0;
  private readonly writes = new WriteCoalescer();
  /** The client's next 'ready', shared by every command that waits for it (a listener each would pile up in an outage). */
  private nextReady?: Promise<void>;

  constructor(readonly client: RedisClient) {
    if (!isCluster(client)) {
      // A Cluster rejects the commands of a node connection that closes itself (its nodes never reconnect).
      client.on('close', () => {
        const lost = new ReplyLostError();
        this.unanswered.forEach((_, reject) => reject(lost));
        this.unanswered.clear();
      });
    }
    const watch = setInterval(() => this.replaceIfSilent(), WATCH_EVERY_MS).unref();
    client.once('end', () => clearInterval(watch));
  }

  /** Whether a command (on `key`) sent now goes out at once. */
  ready(key?: string): boolean {
    const { client } = this;
    if (!isCluster(client)) {
      return writesNow(client);
    }
    if (client.status !== 'ready' || key === undefined) {
      return client.status === 'ready';
    }
    const master = connectionFor(client, key);
    if (master?.status === 'wait') {
      // A master the Cluster has not connected to yet (a new one, after a failover): connect now, send once ready,
      // rather than queue the command on a connection that may fail, with an outcome that would then be unknown.
      master.connect().catch(() => undefined);
    }
    return master?.status === 'ready';
  }

  /** Sends `command` now; rejects with NotSentError when the connection is not ready. */
  send<T>(command: (client: RedisCommands) => Promise<T>, { key, blocksFor = 0 }: SendOptions = {}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (!this.ready(key)) {
        return reject(new NotSentError());
      }
      this.unanswered.set(reject, { overdue: Date.now() + blocksFor + REPLY_TIMEOUT_MS, key });
      this.coalesceWrites(key);
      command(this.client as RedisCommands).then(
        (reply) => {
          this.unanswered.delete(reject);
          resolve(reply);
        },
        (error: Error) => {
          this.unanswered.delete(reject);
          reject(
            // A client of Sentinels refused by a replica is reconnecting to the master (see connect-redis).
            wasNotSent(error) || (wasRefusedByReplica(error) && followsSentinels(this.client))
              ? new NotSentError()
              : wasRefusedByCluster(error)
                ? new NotSentError(true)
                : wasCutOff(error)
                  ? new ReplyLostError()
                  : error,
          );
        },
      );
    });
  }

  /**
   * Sends `command` once the connection (on a Cluster, the master of `key`) is ready, waiting through a reconnect or a
   * failover as long as `signal` and `within` allow. `command` may be called more than once, but only one call's
   * command reaches Redis.
   */
  async sendWhenReady<T>(command: (client: RedisCommands) => Promise<T>, options: WaitForReady = {}): Promise<T> {
    const { signal, within } = options;
    let waitEnds: AbortSignal | undefined;
    const ends = () => (waitEnds ??= AbortSignal.any([...(within === undefined ? [] : [AbortSignal.timeout(within)]), ...(signal ? [signal] : [])]));
    for (;;) {
      if (!this.ready(options.key)) {
        await this.whenReady(ends(), options.key);
      }
      try {
        return await this.send(command, options);
      } catch (error) {
        if (!(error instanceof NotSentError)) {
          throw error;
        }
        if (error.refused) {
          await delay(CLUSTER_LOOK_EVERY_MS, undefined, { signal: ends(), ref: false }).catch(() => {
            throw ends().reason;
          });
        }
      }
    }
  }

  /** Closes the client, politely when it can: QUIT waits for the replies still to come. */
  async close(): Promise<void> {
    if (this.client.status === 'ready') {
      await this.client.quit().catch(() => this.client.disconnect());
    } else {
      this.client.disconnect();
    }
  }

  /** Holds the writes of `key`'s connection until the end of this turn (see WriteCoalescer). */
  private coalesceWrites(key: string | undefined): void {
    const connection = this.connectionOf(key);
    if (connection) {
      this.writes.hold(connection);
    }
  }

  /** The connection a command on `key` goes out on; on a Cluster, none for a command without a key. */
  private connectionOf(key: string | undefined): Redis | undefined {
    return key === undefined && isCluster(this.client) ? undefined : connectionFor(this.client, key ?? '');
  }

  /** Drops a connection (ioredis then reconnects) when a reply is overdue: the network under it has gone silent. */
  private replaceIfSilent(): void {
    const now = Date.now();
    const sinceLastLook = now - this.lastLook;
    this.lastLook = now;
    // After a stalled event loop, replies may sit unread in the socket: look again once they have been read.
    if (sinceLastLook > 2 * WATCH_EVERY_MS) {
      return;
    }
    for (const { overdue, key } of this.unanswered.values()) {
      if (overdue < now) {
        const connection = this.connectionOf(key);
        const silent = connection ? [connection] : isCluster(this.client) ? this.client.nodes('master') : [];
        silent.forEach((node) => {
          this.logger.warn(`Redis at ${addressOf(node)} gave no reply in time: the connection is replaced`);
          dropConnection(node);
        });
        return;
      }
    }
  }

  private readyAgain(): Promise<void> {
    if (!this.nextReady) {
      const { client } = this;
      this.nextReady = new Promise<void>((resolve, reject) => {
        const settle = (outcome: () => void) => () => {
          client.off('ready', onReady).off('end', onEnd);
          this.nextReady = undefined;
          outcome();
        };
        const onReady = settle(resolve);
        const onEnd = settle(() => reject(new Error('The Redis connection is closed')));
        client.on('ready', onReady).on('end', onEnd);
      });
      // Every waiter may have given up before it settles.
      this.nextReady.catch(() => undefined);
    }
    return this.nextReady;
  }

  private async whenReady(signal: AbortSignal, key: string | undefined): Promise<void> {
    signal.throwIfAborted();
    const { client } = this;
    if (!isCluster(client) || client.status !== 'ready') {
      return abortable(this.readyAgain(), signal);
    }
    // A master of the Cluster is away (a failover, a restart): look until the Cluster names one that answers.
    while (!this.ready(key)) {
      if (Date.now() - this.lastRefresh >= CLUSTER_REFRESH_EVERY_MS) {
        this.lastRefresh = Date.now();
        client.refreshSlotsCache();
      }
      await delay(CLUSTER_LOOK_EVERY_MS, undefined, { signal, ref: false });
      if ((client.status as string) === 'end') {
        throw new Error('The Redis connection is closed');
      }
    }
  }
}
