import type { ReceiveOptions } from './receive-options.interface.js';

/** A message of a broadcast channel, with the id that resumes reading right after it. */
export interface ChannelMessage {
  /** Opaque, ordered within the channel, URL-safe: `<milliseconds>-<sequence>`, a Redis stream entry id. */
  id: string;
  /** The message as published. */
  message: Buffer;
}

/** What one read of a channel came to. */
export interface ChannelRead {
  /** The messages after the cursor, oldest first; none when nothing came within the timeout. */
  messages: ChannelMessage[];
  /**
   * Messages after the cursor fell out of the channel's retention (or the channel expired) before they were read:
   * `messages[0]` is then the oldest the channel retains.
   */
  gap: boolean;
}

/** A message of a read on several channels, with its channel and the cursor that resumes all of them right after it. */
export interface EndpointChannelMessage extends ChannelMessage {
  endpoint: string;
  /** The position in every channel of the read after this message: pass it as `after` to read them all on from here. */
  cursor: string;
}

/** What one read of several channels came to. */
export interface MultiplexedChannelRead {
  /** One from each channel that had some in turn, each channel's oldest first; none when nothing came in time. */
  messages: EndpointChannelMessage[];
  /** The channels whose messages after the cursor were gone, each with the oldest it retains (its first message here). */
  gaps: { endpoint: string; oldest: string }[];
}

export interface ChannelReadOptions extends ReceiveOptions {
  /**
   * Read after this id: the retained messages after it at once, or the next one to come. Default: none, wait for the
   * next message published after the call.
   */
  after?: string;
  /** Most messages to return. Default 1, at most `maxBatch`. */
  max?: number;
}
