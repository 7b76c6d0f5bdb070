import { BodyFormat, Gap, MessageOf } from './poll-options.interface.js';

/** What the client knows of a message besides its body. */
export interface MessageInfo {
  /**
   * The message's id in a broadcast registration (`Pistachio-Id`), undefined in a queue one: an opaque string to persist
   * and pass back as the `after` option to resume after this message. Never parse or compare ids.
   */
  id?: string;
  /** On a multiplexed poll (the `endpoints` option), the endpoint the message came from. */
  endpoint?: string;
}

/** What {@link events} yields for a message: its body and, in a broadcast registration, its id. */
export interface ChannelMessageEvent<F extends BodyFormat = 'text'> extends MessageInfo {
  type: 'message';
  /** The body, decoded as the `as` option says. */
  message: MessageOf<F>;
}

/** Messages were missed (see {@link Gap}); yielded just before the message the channel resumed at. */
export interface ChannelGap {
  type: 'gap';
  gap: Gap;
}

/** What {@link events} yields: the messages, and in a broadcast registration the gaps between them. */
export type ChannelEvent<F extends BodyFormat = 'text'> = ChannelMessageEvent<F> | ChannelGap;
