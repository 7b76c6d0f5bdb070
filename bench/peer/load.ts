import Denque from 'denque';
import { performance } from 'node:perf_hooks';
import { HttpConnection } from './http-connection.js';
import type { PeerTarget } from './targets.js';

/** One channel (Nchan) or endpoint (ours) with its one subscriber: what was published to it, what its subscriber got. */
export class Channel {
  /** Messages published to it so far; the publisher numbers them 0, 1, 2 … */
  published = 0;
  /** A publish to it awaits its answer: the next one waits, so that its messages reach the server in order. */
  inFlight = false;
  /** In the publisher's queue. */
  queued = false;
  /** The sequence number its subscriber expects next. */
  next = 0;
  delivered = 0;
  /** Never received, though a later message was. */
  missing = 0;
  /** Received again, or after a later one. */
  outOfOrder = 0;

  constructor(readonly name: string) {}

  received(sequence: number): void {
    this.delivered++;
    if (sequence >= this.next) {
      this.missing += sequence - this.next;
      this.next = sequence + 1;
    } else {
      this.outOfOrder++;
    }
  }
}

/** Every message of a run accounted for: each channel's subscriber must receive all its messages, in order, once. */
export interface Accounting {
  published: number;
  delivered: number;
  missing: number;
  outOfOrder: number;
  /** Published but not received by the end of the run (its grace included). */
  late: number;
  /** Failed polls and publishes (a refusal, a network error), each retried. */
  errors: number;
}

/**
 * Which channel the publisher posts to next: the channels that `eligible` allows and that have no publish awaiting
 * an answer, first offered first taken (round-robin when they are offered in turn). O(1) per message, however many
 * channels: the publisher must not be what limits a run.
 */
class PublishQueue {
  private readonly ready = new Denque<Channel>();
  private readonly takers = new Denque<(channel: Channel | undefined) => void>();
  private closed = false;

  constructor(private readonly eligible: (channel: Channel) => boolean) {}

  offer(channel: Channel): void {
    if (this.closed || channel.queued || channel.inFlight || !this.eligible(channel)) {
      return;
    }
    const taker = this.takers.shift();
    if (taker) {
      channel.inFlight = true;
      taker(channel);
    } else {
      channel.queued = true;
      this.ready.push(channel);
    }
  }

  /** The next channel to publish to (now in flight), or undefined once closed. */
  take(): Promise<Channel | undefined> | Channel | undefined {
    if (this.closed) {
      return undefined;
    }
    // A queued channel may have lost its room since (nothing takes room away, but be exact).
    for (let channel = this.ready.shift(); channel; channel = this.ready.shift()) {
      channel.queued = false;
      if (this.eligible(channel)) {
        channel.inFlight = true;
        return channel;
      }
    }
    return new Promise((resolve) => this.takers.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (let taker = this.takers.shift(); taker; taker = this.takers.shift()) {
      taker(undefined);
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The peer scenario's client against one target: a subscriber per channel, each long-polling its own channel in a
 * loop on a keep-alive connection of its own (following the server's long-poll protocol), and a publisher posting
 * `<sent at> <sequence>` over HTTP on a few keep-alive connections, with one publish per channel in flight at most.
 */
export class PeerLoad {
  readonly channels: Channel[];
  /** Called with each message's send and receipt times (`performance.now()`) as it arrives. */
  onMessage: (sentAt: number, receivedAt: number) => void = () => undefined;
  /** Failed polls and publishes so far, by what failed. */
  readonly errors = new Map<string, number>();
  private readonly subscriptions: HttpConnection[] = [];
  private readonly looping: Promise<void>[] = [];
  private stopped = false;
  /** The running publisher's queue: a delivery may give a channel room. */
  private queue: PublishQueue | undefined;

  constructor(
    private readonly target: PeerTarget,
    names: string[],
  ) {
    this.channels = names.map((name) => new Channel(name));
  }

  /** Starts the subscriber of channels[i], on a connection of its own. */
  subscribe(i: number): void {
    const connection = new HttpConnection(this.target.ports[i % this.target.ports.length]);
    this.subscriptions.push(connection);
    this.looping.push(this.subscriber(this.channels[i], connection));
  }

  private async subscriber(channel: Channel, connection: HttpConnection): Promise<void> {
    const path = this.target.subscribePath(channel.name);
    let resume = '';
    let receipt: string | undefined;
    while (!this.stopped) {
      const ack = receipt === undefined ? '' : `?ack=${receipt}`;
      const answer = await connection.request('GET', path + ack, resume).catch((error: Error) => error);
      if (this.stopped) {
        return;
      }
      if (answer instanceof Error) {
        this.failed(`poll: ${answer.message}`);
        await sleep(50);
      } else if (answer.status === 200) {
        if (this.target.resumesWithHeaders) {
          // Nchan's long-poll protocol: the next message is the one after what these name.
          resume = `If-Modified-Since: ${answer.headers.get('last-modified')}\r\nIf-None-Match: ${answer.headers.get('etag')}\r\n`;
        }
        if (this.target.acknowledges) {
          receipt = answer.headers.get('pistachio-receipt');
        }
        const space = answer.body.indexOf(' ');
        channel.received(Number(answer.body.slice(space + 1)));
        this.onMessage(Number(answer.body.slice(0, space)), answer.receivedAt);
        this.queue?.offer(channel);
      } else if (answer.status !== 504 && answer.status !== 408) {
        // 504 (ours) and 408 (Nchan) only say that the poll timed out: poll again.
        this.failed(`poll answered ${answer.status}`);
        await sleep(50);
      }
    }
  }

  /**
   * Publishes as fast as the subscribers take the messages, each channel at most `backlog` messages ahead of its
   * subscriber, on `connections` connections, until `seconds` have passed.
   */
  saturate(connections: number, backlog: number, seconds: number): Promise<void> {
    const queue = new PublishQueue((channel) => channel.published - channel.delivered < backlog);
    const ending = setTimeout(() => queue.close(), seconds * 1_000);
    return this.publish(queue, connections, () => this.channels.forEach((channel) => queue.offer(channel))).finally(() =>
      clearTimeout(ending),
    );
  }

  /**
   * Publishes `total` messages at `rate` per second, round-robin over `over` (by default every channel), on
   * `connections` connections.
   */
  async atRate(connections: number, rate: number, total: number, over = this.channels): Promise<{ seconds: number }> {
    const count = over.length;
    const positions = new Map(over.map((channel, position) => [channel, position]));
    let due = 0;
    const dueOf = (channel: Channel) => {
      const position = positions.get(channel);
      return position === undefined ? 0 : Math.floor(due / count) + (position < due % count ? 1 : 0);
    };
    const queue = new PublishQueue((channel) => channel.published < dueOf(channel));
    const started = performance.now();
    // Every millisecond, what the clock says is due by then (a late tick makes up for the delay).
    const ticker = setInterval(() => {
      const now = Math.min(total, Math.floor((rate * (performance.now() - started)) / 1_000));
      while (due < now) {
        queue.offer(over[due++ % count]);
      }
    }, 1);
    let published = 0;
    const onPublished = () => {
      if (++published === total) {
        queue.close();
      }
    };
    try {
      await this.publish(queue, connections, () => undefined, onPublished);
    } finally {
      clearInterval(ticker);
    }
    return { seconds: (performance.now() - started) / 1_000 };
  }

  private async publish(queue: PublishQueue, connections: number, start: () => void, onPublished = () => {}): Promise<void> {
    const { ports } = this.target;
    const publishers = Array.from({ length: connections }, (_, j) => new HttpConnection(ports[j % ports.length]));
    this.queue = queue;
    start();
    await Promise.all(
      publishers.map(async (connection) => {
        for (let channel = await queue.take(); channel; channel = await queue.take()) {
          await this.post(connection, channel);
          channel.published++;
          channel.inFlight = false;
          onPublished();
          queue.offer(channel);
        }
      }),
    );
    this.queue = undefined;
    publishers.forEach((connection) => connection.close());
  }

  /** Posts the channel's next message, retrying a failure a few times (then the message counts as missing). */
  private async post(connection: HttpConnection, channel: Channel): Promise<void> {
    const path = this.target.publishPath(channel.name);
    for (let attempt = 0; attempt < 5; attempt++) {
      const answer = await connection
        .request('POST', path, '', `${performance.now().toFixed(3)} ${channel.published}`)
        .catch((error: Error) => error);
      if (!(answer instanceof Error) && answer.status >= 200 && answer.status < 300) {
        return;
      }
      this.failed(answer instanceof Error ? `publish: ${answer.message}` : `publish answered ${answer.status}`);
      await sleep(20);
    }
  }

  /** Whether every message published has been received, waiting up to `grace` ms for it. */
  async drained(grace: number): Promise<boolean> {
    const giveUp = performance.now() + grace;
    while (this.channels.some((channel) => channel.delivered < channel.published)) {
      if (performance.now() > giveUp) {
        return false;
      }
      await sleep(20);
    }
    return true;
  }

  /** Ends the subscribers (closing their connections ends their waiting polls) and sums up. */
  async stop(): Promise<Accounting> {
    this.stopped = true;
    this.subscriptions.forEach((connection) => connection.close());
    await Promise.all(this.looping);
    const sum = (of: (channel: Channel) => number) => this.channels.reduce((total, channel) => total + of(channel), 0);
    return {
      published: sum((channel) => channel.published),
      delivered: sum((channel) => channel.delivered),
      missing: sum((channel) => channel.missing),
      outOfOrder: sum((channel) => channel.outOfOrder),
      late: sum((channel) => Math.max(0, channel.published - channel.next)),
      errors: [...this.errors.values()].reduce((total, count) => total + count, 0),
    };
  }

  private failed(what: string): void {
    this.errors.set(what, (this.errors.get(what) ?? 0) + 1);
  }
}
