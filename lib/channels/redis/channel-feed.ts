import type { ChannelMessage, ChannelRead } from '../../interfaces/index.js';
import { compareIds } from '../channel-id.js';
import { Found, RetainedLog } from '../retained-log.js';

/** A message as Pub/Sub brought it, with the id of the one before it in the channel. */
export interface Heard {
  previous: string;
  message: ChannelMessage;
}

/** What Redis answered to a read after a cursor. */
export interface RedisRead extends ChannelRead {
  /** The channel's latest id, `0-0` when it does not exist. */
  last: string;
}

/** What a feed needs of its broker. */
export interface FeedSource {
  /** Reads the channel after `cursor` in Redis; rejects with an InvalidCursorError when the cursor is newer than its last id. */
  read(cursor: string, max: number): Promise<RedisRead>;
  /** Hands messages that came, in order, to the reads waiting at the feed's head. */
  deliver(read: ChannelRead): void;
}

/** Most messages a feed reads in one go when it catches up. */
const CATCH_UP_BATCH = 100;

/**
 * One channel as this instance follows it on Redis: its latest messages as Pub/Sub brought them (a cache of at most
 * `capacity`, from which most cursors are answered without a read), and its head, at which reads wait. A message whose
 * previous id is not the head means the feed missed one (a reconnect, another client's XADD): it then reads from Redis
 * what came after its head, holding what Pub/Sub brings meanwhile, and goes on in order.
 */
export class ChannelFeed {
  private log: RetainedLog | undefined;
  /** What Pub/Sub brought while the feed opened or caught up, to be applied after. */
  private held: Heard[] | undefined = [];
  private catchingUp: Promise<void> | undefined;
  /** Where the feed opened: reads without a cursor that waited for it to open read after it. */
  start = '';
  /** Reads in progress, and when the last one ended: a feed is dropped once it has had none for a while. */
  readers = 0;
  readAt = Date.now();
  /** When the head was last known to be Redis's latest: a message heard in order, or a catch-up that found no more. */
  checkedAt = 0;

  constructor(
    private readonly source: FeedSource,
    private readonly capacity: number,
  ) {}

  /**
   * Starts at the channel's latest id before the first message heard since the subscription (else at `last`), so
   * that a read that came before the feed opened gets every message published since; then applies what was heard.
   */
  open(last: string): void {
    const firstHeard = this.held?.[0]?.previous;
    this.start = firstHeard !== undefined && compareIds(firstHeard, last) < 0 ? firstHeard : last;
    this.log = new RetainedLog(this.capacity, this.start);
    this.release();
  }

  get head(): string {
    return this.log!.head;
  }

  /** The cached messages after `cursor` (see RetainedLog); a feed left behind by a failed catch-up tries again. */
  after(cursor: string, max: number): Found {
    if (this.held && !this.catchingUp) {
      void this.catchUp();
    }
    return this.log!.after(cursor, max);
  }

  hear(heard: Heard): void {
    if (this.held) {
      this.held.push(heard);
      if (this.log && !this.catchingUp) {
        void this.catchUp();
      }
    } else if (heard.previous === this.log!.head) {
      this.log!.append(heard.message);
      this.checkedAt = Date.now();
      this.source.deliver({ messages: [heard.message], gap: false });
    } else if (compareIds(heard.message.id, this.log!.head) > 0) {
      this.held = [heard];
      void this.catchUp();
    }
  }

  /** Reads what came after the head until Redis has nothing newer, then applies what was heard meanwhile. */
  catchUp(): Promise<void> {
    this.held ??= [];
    this.catchingUp ??= this.readAfterHead().finally(() => (this.catchingUp = undefined));
    return this.catchingUp;
  }

  get opened(): boolean {
    return this.log !== undefined;
  }

  private async readAfterHead(): Promise<void> {
    for (;;) {
      const read = await this.source.read(this.head, CATCH_UP_BATCH).catch(() => undefined);
      if (!read) {
        // Redis is away: what was held waits for the next catch-up (a reconnect starts one).
        return;
      }
      if (compareIds(read.last, this.head) < 0) {
        // The channel was deleted or made anew: go on from where it is now.
        this.log = new RetainedLog(this.capacity, read.last);
      }
      read.messages.forEach((message) => this.log!.append(message));
      if (read.messages.length > 0) {
        this.source.deliver(read);
      }
      if (read.messages.length < CATCH_UP_BATCH) {
        this.checkedAt = Date.now();
        return this.release();
      }
    }
  }

  /** Applies what was held, in order; one that shows a gap starts the next catch-up. */
  private release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    held.forEach((heard) => this.hear(heard));
  }
}
