import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { BrokerHealth } from '../../brokers/broker.interface.js';
import { connectBroker, reportOutages } from '../../brokers/redis/redis-connection.js';
import { RedisCommands, REDIS_WAIT_MS } from '../../brokers/redis/redis-commands.js';
import { settleBy } from '../../brokers/redis/settle-by.js';
import { redisHealth, redisStats, RoledConnections } from '../../brokers/redis/redis-health.js';
import { ReplyLostError } from '../../brokers/redis/single-send-connection.js';
import { wakeChannel, WakeSubscriber } from '../../brokers/redis/wake-subscriber.js';
import { Waiters } from '../../brokers/waiters.js';
import { InvalidCursorError, PublishOutcomeUnknownError } from '../../errors/index.js';
import type { ChannelMessage, ChannelRead, ResolvedPistachioOptions } from '../../interfaces/index.js';
import type { BrokerStats } from '../../monitoring/pistachio-stats.interface.js';
import { ChannelBroker, ChannelReadRequest, ChannelSettings } from '../channel-broker.interface.js';
import { compareIds, isChannelId } from '../channel-id.js';
import { ChannelFeed, Heard, RedisRead } from './channel-feed.js';
import { abortable } from './abortable.js';
import { ChannelScripts, defineChannelScripts, StreamEntry } from './channel-scripts.js';

/** Most messages of a channel each instance keeps at hand, to answer the cursors of subscribers that poll again. */
const CACHED_PER_CHANNEL = 100;
/** How often the feeds are looked over. */
const SWEEP_EVERY_MS = 250;
/**
 * How long a feed with waiting reads goes without looking in Redis for messages that other clients XADDed, and a feed
 * without reads is kept (and its channel subscribed) for the next.
 */
const CHECK_EVERY_MS = 1_000;

/**
 * Broadcast channels on Redis: each channel is a stream at its key, so any client may XADD to it. A publish appends
 * and publishes the message on the channel's Pub/Sub channel; each instance subscribed there (it has readers of the
 * channel) appends it to its feed and hands it to every read waiting there. So Redis connections stay two however
 * many subscribers wait, and a message costs one wake-up per instance, however many of them wait on it.
 */
export class RedisChannelBroker implements ChannelBroker {
  readonly mode = 'broadcast';
  private readonly logger = new Logger('RedisBroker');
  private readonly commands: RedisCommands;
  private readonly scripts: ChannelScripts;
  private readonly subscriber: WakeSubscriber;
  private readonly feeds = new Map<string, { feed: ChannelFeed; opening: Promise<void> }>();
  private readonly waiters = new Waiters<ChannelRead>();
  private readonly connections: RoledConnections;
  private readonly sweep: NodeJS.Timeout;

  private constructor(
    commands: Redis,
    subscriber: Redis,
    private readonly settings: ChannelSettings,
  ) {
    this.commands = new RedisCommands(commands, this.logger);
    this.scripts = defineChannelScripts(commands);
    this.connections = { commands: this.commands.connection, others: [{ role: 'wake', redis: subscriber }] };
    this.subscriber = new WakeSubscriber(subscriber, (key, payload) => {
      const feed = this.feeds.get(key)?.feed;
      const heard = parseHeard(payload);
      // Anything else published there (another client's wake-up) sends the feed to read what came.
      void (heard ? feed?.hear(heard) : feed?.opened && feed.catchUp());
    });
    // What was published while the subscriber was away was not heard; reads that failed meanwhile left feeds behind.
    const catchUpAll = () => this.feeds.forEach(({ feed }) => feed.opened && void feed.catchUp());
    this.subscriber.onResubscribed(catchUpAll);
    commands.on('ready', catchUpAll);
    [commands, subscriber].forEach((connection) => reportOutages(connection, this.logger));
    this.sweep = setInterval(() => {
      const due = Date.now() - CHECK_EVERY_MS;
      this.feeds.forEach(({ feed }, key) => {
        if (this.waiters.has(key)) {
          // What other clients XADDed notified nobody. Each feed is due on its own clock, so the checks are spread.
          void (feed.opened && feed.checkedAt <= due && feed.catchUp());
        } else if (feed.readers === 0 && feed.readAt <= due) {
          this.feeds.delete(key);
        }
      });
      this.subscriber.prune((key) => this.feeds.has(key));
    }, SWEEP_EVERY_MS).unref();
  }

  /** Connects the command connection and the subscriber; rejects with a RedisConnectionError if Redis is away. */
  static async connect(options: ResolvedPistachioOptions): Promise<RedisChannelBroker> {
    const [commands, subscriber] = await connectBroker(options, [{ connectionName: 'wake' }]);
    return new RedisChannelBroker(commands, subscriber, options);
  }

  async publish(key: string, message: Buffer): Promise<string> {
    const { retention, messageTtl } = this.settings;
    try {
      return await this.commands.connection.sendWhenReady(
        () => this.scripts.appendToChannel(key, message, retention, messageTtl, wakeChannel(key)),
        { within: REDIS_WAIT_MS },
      );
    } catch (error) {
      throw error instanceof ReplyLostError ? new PublishOutcomeUnknownError(key) : this.commands.failure(key, error);
    }
  }

  /**
   * Answers from the channel's feed when it can (a cursor at hand, or none), else from Redis; waits at the feed's
   * head when nothing is retained after the cursor. The timeout runs from the call, Redis reads included.
   */
  async read(key: string, { after, max, timeout, signal }: ChannelReadRequest): Promise<ChannelRead> {
    signal?.throwIfAborted();
    const deadline = Date.now() + timeout;
    const { feed, opening } = this.follow(key);
    // Without a cursor: what is published from now on, or (the feed still opening) from when it opened.
    const cursor = after ?? (feed.opened ? feed.head : undefined);
    feed.readers++;
    try {
      const finding = opening.then(() => this.find(key, feed, cursor ?? feed.start, max));
      const found = await settleBy(abortable(finding, signal), deadline, () => undefined);
      if (found === undefined || found.messages.length > 0) {
        return found ?? { messages: [], gap: false };
      }
      const next = await this.waiters.wait(key, { timeout: Math.max(deadline - Date.now(), 0), signal, max });
      return next ? { messages: next.messages.slice(0, max), gap: found.gap || next.gap } : { messages: [], gap: false };
    } finally {
      feed.readers--;
      feed.readAt = Date.now();
    }
  }

  length(key: string): Promise<number> {
    return this.commands.idempotent(key, (redis) => redis.xlen(key));
  }

  stats(): BrokerStats {
    return redisStats(this.connections);
  }

  /** Up when Redis answers a PING in time and the subscriber is connected. */
  health(): Promise<BrokerHealth> {
    return redisHealth(this.connections);
  }

  async close(): Promise<void> {
    clearInterval(this.sweep);
    this.subscriber.close();
    await this.commands.close();
  }

  /** The feed of `key`, subscribed and opened at the channel's latest id before it answers. */
  private follow(key: string): { feed: ChannelFeed; opening: Promise<void> } {
    let followed = this.feeds.get(key);
    if (!followed) {
      const feed = new ChannelFeed(
        {
          read: (cursor, max) => this.readAfter(key, cursor, max),
          deliver: (read) => this.waiters.handEach(key, read),
        },
        Math.min(this.settings.retention, CACHED_PER_CHANNEL),
      );
      const opening = this.subscriber
        .watch(key)
        .then(() => this.readAfter(key, '', 1))
        .then(({ last }) => feed.open(last));
      // A feed that could not open is dropped, so that the next read tries again.
      opening.catch(() => this.feeds.get(key)?.feed === feed && this.feeds.delete(key));
      followed = { feed, opening };
      this.feeds.set(key, followed);
    }
    return followed;
  }

  /**
   * The messages after the cursor, from the feed or else from Redis; none when the read is to wait at the feed's head,
   * with whether messages after the cursor were missed.
   */
  private async find(key: string, feed: ChannelFeed, after: string, max: number): Promise<ChannelRead> {
    let cursor = after;
    let gap = false;
    for (;;) {
      const found = feed.after(cursor, max);
      if (Array.isArray(found)) {
        return { messages: found, gap };
      }
      const read = await this.readAfter(key, cursor, max);
      gap ||= read.gap;
      if (read.messages.length > 0) {
        return { messages: read.messages, gap };
      }
      // Nothing after the cursor in Redis: go on after its last id, once the feed has come that far too. A last id
      // behind the feed's head means the channel was deleted: wait at the head.
      const behindFeed = compareIds(read.last, feed.head) < 0;
      if (compareIds(read.last, feed.head) > 0) {
        await feed.catchUp();
      }
      cursor = behindFeed || compareIds(read.last, feed.head) > 0 ? feed.head : read.last;
    }
  }

  /** The channel after `cursor` (none: its last id only) as Redis has it. */
  private async readAfter(key: string, cursor: string, max: number): Promise<RedisRead> {
    const [last, gap, entries = []] = await this.commands.idempotent(key, () =>
      this.scripts.readChannelBuffer(key, cursor, max),
    );
    if (gap < 0) {
      throw new InvalidCursorError(cursor, "it is newer than the channel's latest message");
    }
    return { last: last.toString(), gap: gap === 1, messages: entries.map(toChannelMessage) };
  }
}

/** An entry's id and the value of its first field: Pistachio writes one, `message`; other clients may write more. */
function toChannelMessage([id, fields]: StreamEntry): ChannelMessage {
  return { id: id.toString(), message: fields[1] };
}

/** `<previous id>\n<id>\n<message>`, as the append script publishes it; undefined for anything else. */
function parseHeard(payload: Buffer): Heard | undefined {
  const afterPrevious = payload.indexOf(0x0a);
  const afterId = afterPrevious < 0 ? -1 : payload.indexOf(0x0a, afterPrevious + 1);
  const previous = payload.toString('latin1', 0, afterPrevious);
  const id = payload.toString('latin1', afterPrevious + 1, afterId);
  if (afterId < 0 || !isChannelId(previous) || !isChannelId(id)) {
    return undefined;
  }
  return { previous, message: { id, message: payload.subarray(afterId + 1) } };
}
