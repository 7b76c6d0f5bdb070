import { InvalidCursorError } from '../../errors/index.js';
import type { ChannelMessage, ChannelRead, ResolvedPistachioOptions } from '../../interfaces/index.js';
import { Waiters } from '../../brokers/waiters.js';
import { abortable } from '../../redis/abortable.js';
import { BrokerCommands } from '../../redis/broker-commands.js';
import { DeploymentBroker, DeploymentShare } from '../../redis/deployment-broker.js';
import { wakeChannel } from '../../redis/key-layout.js';
import type { RedisDeployments } from '../../redis/redis-deployments.js';
import { settleBy } from '../../redis/settle-by.js';
import type { WakeListener } from '../../redis/wake-subscriptions.js';
import { ChannelBroker, ChannelReadRequest, ChannelSettings } from '../channel-broker.interface.js';
import { compareIds, isChannelId } from '../channel-id.js';
import { ChannelFeed, Heard, RedisRead } from './channel-feed.js';
import { channelScripts, StreamEntry } from './channel-scripts.js';

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
 * and publishes the message on the channel's shard channel; each instance subscribed there (it has readers of the
 * channel) appends it to its feed and hands it to every read waiting there. So a message costs one wake-up per
 * instance, however many of its subscribers wait, and the connections are the deployment's, however many channels.
 */
export class RedisChannelBroker extends DeploymentBroker implements ChannelBroker, WakeListener {
  private readonly commands: BrokerCommands;
  private readonly feeds = new Map<string, { feed: ChannelFeed; opening: Promise<void> }>();
  private readonly waiters = new Waiters<ChannelRead>();
  private readonly sweep: NodeJS.Timeout;

  private constructor(
    share: DeploymentShare,
    private readonly settings: ChannelSettings,
  ) {
    super(share);
    this.commands = new BrokerCommands(share.deployment.commands, this.logger, share.durable);
    // Reads that failed while Redis was away left feeds behind.
    this.whenReconnected(() => this.feeds.forEach(({ feed }) => feed.opened && void feed.catchUp()));
    this.sweep = setInterval(() => {
      const due = Date.now() - CHECK_EVERY_MS;
      this.feeds.forEach(({ feed }, key) => {
        if (this.waiters.has(key)) {
          // What other clients XADDed notified nobody. Each feed is due on its own clock, so the checks are spread.
          void (feed.opened && feed.checkedAt <= due && feed.catchUp());
        } else if (feed.readers === 0 && feed.readAt <= due) {
          this.feeds.delete(key);
          share.deployment.wakes.unwatch(key, this);
        }
      });
    }, SWEEP_EVERY_MS).unref();
  }

  /** Connects (or shares) the deployment; rejects with the module's error if Redis is away or unfit. */
  static connect(options: ResolvedPistachioOptions, deployments: RedisDeployments): Promise<RedisChannelBroker> {
    return DeploymentBroker.open(options, deployments, (share) => new RedisChannelBroker(share, options));
  }

  /** A message heard on a channel's wake channel; anything else published there sends the feed to read what came. */
  woken(key: string, payload: Buffer): void {
    const feed = this.feeds.get(key)?.feed;
    const heard = parseHeard(payload);
    void (heard ? feed?.hear(heard) : feed?.opened && feed.catchUp());
  }

  /** What was published while the subscription was away was not heard. */
  missed(key: string): void {
    const feed = this.feeds.get(key)?.feed;
    void (feed?.opened && feed.catchUp());
  }

  publish(key: string, message: Buffer): Promise<string> {
    const { retention, messageTtl } = this.settings;
    return this.commands.append(key, (client) =>
      channelScripts(client).appendToChannel(key, message, retention, messageTtl, wakeChannel(key)),
    );
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

  /** From the channel's feed when it can, else from Redis. */
  async readRetained(key: string, after: string, max: number): Promise<ChannelRead> {
    const { feed, opening } = this.follow(key);
    feed.readers++;
    try {
      await opening;
      return await this.find(key, feed, after, max);
    } finally {
      feed.readers--;
      feed.readAt = Date.now();
    }
  }

  async latest(key: string): Promise<string> {
    return (await this.readAfter(key, '', 1)).last;
  }

  length(key: string): Promise<number> {
    return this.commands.idempotent(key, (client) => client.xlen(key));
  }

  /** Stops looking over the feeds and unsubscribes their channels. */
  protected async stop(): Promise<void> {
    clearInterval(this.sweep);
    this.feeds.forEach((_, key) => this.share.deployment.wakes.unwatch(key, this));
    this.feeds.clear();
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
      const opening = this.share.deployment.wakes
        .watch(key, this)
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
    const [last, gap, entries = []] = await this.commands.idempotent(key, (client) =>
      channelScripts(client).readChannelBuffer(key, cursor, max),
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
