export type { ChannelEvent, ChannelGap, ChannelMessageEvent, MessageInfo } from './channel-event.js';
export { events, messages } from './messages.js';
export { PollFailedError, PollRefusedError, StreamFailedError } from './poll-errors.js';
export type { BackoffOptions, BodyFormat, Gap, MessageOf, PollOptions } from './poll-options.interface.js';
export { subscribe } from './subscribe.js';
export type { SubscribeOptions, Subscription } from './subscribe.js';
