import Denque from 'denque';
import type { ChannelMessage } from '../interfaces/index.js';
import { compareIds, ORIGIN } from './channel-id.js';

/** Where a cursor stands against a log: the messages after it, or why the log cannot tell them. */
export type Found = ChannelMessage[] | 'behind' | 'ahead';

/**
 * The latest messages of one channel, at most `capacity`, oldest first. Its `floor` is the id up to which it knows of
 * nothing (the last message it dropped, or the one before its first), its `head` the id of its latest message: a
 * cursor from the floor to the head is answered from here.
 */
export class RetainedLog {
  private readonly messages = new Denque<ChannelMessage>();
  head: string;

  /**
   * `whole` says that the log starts with the channel's first message (nothing came before its floor): until it drops
   * one, it holds every message of the channel.
   */
  constructor(
    private readonly capacity: number,
    public floor: string,
    private whole = false,
  ) {
    this.head = floor;
  }

  get length(): number {
    return this.messages.length;
  }

  /** Appends a message newer than the head; the oldest one goes when the log is full. */
  append(message: ChannelMessage): void {
    this.messages.push(message);
    this.head = message.id;
    if (this.messages.length > this.capacity) {
      this.floor = this.messages.shift()!.id;
      this.whole = false;
    }
  }

  /**
   * Up to `max` messages after `cursor` (none when it is the head: wait for the next); `behind` when messages after it
   * may have been dropped, `ahead` when it is newer than the head. From the ORIGIN, a whole log answers from its first
   * message.
   */
  after(cursor: string, max: number): Found {
    const fromHead = compareIds(cursor, this.head);
    if (fromHead >= 0) {
      return fromHead === 0 ? [] : 'ahead';
    }
    if (compareIds(cursor, this.floor) < 0) {
      return cursor === ORIGIN && this.whole ? this.slice(0, max) : 'behind';
    }
    // Cursors are mostly recent: look for the first newer message from the end.
    let first = this.messages.length;
    while (first > 0 && compareIds(this.messages.peekAt(first - 1)!.id, cursor) > 0) {
      first--;
    }
    return this.slice(first, max);
  }

  /** The `max` oldest messages. */
  oldest(max: number): ChannelMessage[] {
    return this.slice(0, max);
  }

  private slice(from: number, max: number): ChannelMessage[] {
    const to = Math.min(from + max, this.messages.length);
    const slice: ChannelMessage[] = [];
    for (let at = from; at < to; at++) {
      slice.push(this.messages.peekAt(at)!);
    }
    return slice;
  }
}
