import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { keyOfWakeChannel, wakeChannel } from './key-layout.js';
import {
  keyeventChannels,
  KeyspaceNotifications,
  keyspaceChannel,
  NO_NOTIFICATIONS,
  pushedKey,
  readNotifications,
} from './keyspace-notifications.js';
import { dropConnection } from './ioredis-internals.js';
import { isMoved } from './redis-replies.js';
import type { Master } from './topology.js';
import { WriteCoalescer } from './write-coalescer.js';

export interface ShardSubscriberHooks {
  /** A key may have something: its wake channel said so (with what it said), or a keyspace notification. */
  woken(key: string, payload: Buffer): void;
  /** The master answered that it does not serve `key`'s slot: it is to be placed again. */
  moved(key: string): void;
  /** The connection (re)subscribed these keys: what was published meanwhile went unheard. */
  resubscribed(keys: string[]): void;
}

const NOTHING = Buffer.alloc(0);
/** How long a PING may go unanswered before the connection counts as dead (a network gone silent). */
const REPLY_TIMEOUT_MS = 5_000;

/**
 * The connection on which this process hears about the keys of one master: `SSUBSCRIBE` to each waited key's wake
 * channel, which the module's scripts `SPUBLISH` to, and, when the master has them on, its keyspace notifications.
 * After every (re)connect it subscribes all its keys again itself, knowing then its `CLIENT ID`, so that `intact()`
 * can check against Redis that no subscription was dropped (a master that loses a slot unsubscribes its channels).
 */
export class ShardSubscriber {
  /** The keys placed on this master, subscribed or about to be. */
  readonly keys = new Set<string>();
  /** Those Redis confirmed. */
  private readonly subscribed = new Set<string>();
  private id: number | undefined;
  private notifications = NO_NOTIFICATIONS;
  /**
   * Subscriptions and unsubscriptions on their way: the count in Redis is not comparable meanwhile. Forgotten when the
   * connection closes: their replies will never come (ioredis sends nothing twice here).
   */
  private readonly changing = new Set<Promise<unknown>>();
  /** When the connection last stopped being ready; undefined while it is. */
  downSince: number | undefined = Date.now();
  /** When the PING on its way was sent. */
  private pingedAt: number | undefined;
  private readonly logger = new Logger('RedisBroker');
  /** The (un)subscriptions of many new polls leave in one write. */
  private readonly writes = new WriteCoalescer();

  constructor(
    readonly master: Master,
    readonly connection: Redis,
    private readonly hooks: ShardSubscriberHooks,
  ) {
    connection.on('smessageBuffer', (channel: Buffer, payload: Buffer) => {
      const key = keyOfWakeChannel(channel.toString());
      if (key !== undefined) {
        hooks.woken(key, payload);
      }
    });
    connection.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      const key = pushedKey(this.notifications, channel.toString(), message.toString());
      if (key !== undefined) {
        hooks.woken(key, NOTHING);
      }
    });
    connection.on('ready', () => void this.resubscribe());
    connection.on('close', () => {
      this.id = undefined;
      this.subscribed.clear();
      this.changing.clear();
      this.pingedAt = undefined;
      this.downSince ??= Date.now();
    });
  }

  /** Whether Redis confirmed the subscription of `key` on this connection. */
  hears(key: string): boolean {
    return this.subscribed.has(key);
  }

  /** Subscribes `key`: `true` once Redis confirmed it, `false` when it cannot now (the next resubscription will). */
  async add(key: string): Promise<boolean> {
    this.keys.add(key);
    return this.id !== undefined && this.subscribe(key);
  }

  remove(key: string): void {
    this.keys.delete(key);
    if (this.subscribed.delete(key)) {
      const channels = this.notifications.keyspace ? [keyspaceChannel(this.notifications, key)] : [];
      this.writes.hold(this.connection);
      void this.change(
        Promise.all([this.connection.sunsubscribe(wakeChannel(key)), ...channels.map((channel) => this.connection.unsubscribe(channel))]),
      ).catch(() => undefined);
    }
  }

  /**
   * Whether Redis still has every subscription the connection thinks it has (skipped while some are on their way);
   * a connection Redis no longer lists, or that does not answer a PING in time, is replaced.
   */
  async intact(): Promise<boolean> {
    const { id } = this;
    if (id === undefined) {
      return true;
    }
    this.checkAnswers();
    if (this.changing.size > 0) {
      return true;
    }
    const expected = this.subscribed.size;
    const listed = String(await this.master.connection.client('LIST', 'ID', id));
    const count = /\bssub=(\d+)/.exec(listed)?.[1];
    if (count === undefined) {
      // Not known to Redis (killed, or a ghost of a silent network): reconnect, which subscribes all again.
      this.connection.disconnect(true);
      return true;
    }
    return this.changing.size > 0 || id !== this.id || expected !== this.subscribed.size || Number(count) === expected;
  }

  /** Subscribes every key again, on the connection as it is; tells which (what came meanwhile went unheard). */
  async resubscribe(): Promise<void> {
    this.subscribed.clear();
    try {
      if (this.id === undefined) {
        // First, while the connection may still send anything: RESP2 allows only (un)subscribing once subscribed.
        this.id = Number(await this.connection.client('ID'));
        this.downSince = undefined;
        this.notifications = await readNotifications(this.master.connection);
        if (this.notifications.keyevent) {
          await this.connection.subscribe(...keyeventChannels(this.notifications));
        }
      }
      await Promise.all([...this.keys].map((key) => this.subscribe(key)));
    } catch {
      // The connection dropped again: its next 'ready' resubscribes.
    }
    this.hooks.resubscribed([...this.keys]);
  }

  close(): void {
    this.connection.disconnect();
  }

  /** PINGs the connection, and drops it (ioredis reconnects) when the previous PING is overdue: the network went silent. */
  private checkAnswers(): void {
    if (this.pingedAt === undefined) {
      const pingedAt = (this.pingedAt = Date.now());
      const answered = () => this.pingedAt === pingedAt && (this.pingedAt = undefined);
      this.connection.ping().then(answered, answered);
    } else if (Date.now() - this.pingedAt > REPLY_TIMEOUT_MS) {
      this.logger.warn(`Redis at ${this.master.address} gave no reply in time: the connection is replaced`);
      this.pingedAt = undefined;
      dropConnection(this.connection);
    }
  }

  private async subscribe(key: string): Promise<boolean> {
    try {
      this.writes.hold(this.connection);
      const keyspace = this.notifications.keyspace ? [this.connection.subscribe(keyspaceChannel(this.notifications, key))] : [];
      await this.change(Promise.all([this.connection.ssubscribe(wakeChannel(key)), ...keyspace]));
      this.subscribed.add(key);
      if (!this.keys.has(key)) {
        // Removed while on its way: unsubscribe it now.
        this.remove(key);
        return false;
      }
      return true;
    } catch (error) {
      if (isMoved(error)) {
        this.keys.delete(key);
        this.hooks.moved(key);
      }
      return false;
    }
  }

  /** Keeps `changing` in the count of what is on its way until it settles. */
  private change<T>(pending: Promise<T>): Promise<T> {
    this.changing.add(pending);
    return pending.finally(() => this.changing.delete(pending));
  }
}
