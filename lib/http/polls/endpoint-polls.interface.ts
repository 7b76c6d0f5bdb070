import type { IncomingHttpHeaders } from 'node:http';

/** A message of an answer, with the headers that go with it: the answer's own for one, its part's in a batch. */
export interface AnsweredMessage {
  message: Buffer;
  headers: Record<string, string>;
}

/** What a poll is answered with, when a message came. */
export interface PollAnswer {
  messages: AnsweredMessage[];
  /** A `multipart/mixed` batch (`?max=N` was asked), even of one message. */
  batch: boolean;
  /** Headers of the whole answer. */
  headers: Record<string, string>;
}

/**
 * How a registration's endpoints answer polls: as queues or as broadcast channels. The controller does the rest of
 * the route (methods, names, authorization, errors, the 504) the same for both.
 */
export interface EndpointPolls<Asked = unknown> {
  /** What the poll of `endpoints` asks, checked before anything else: a module error with its 400 says what is wrong. */
  parse(endpoints: string[], query: Record<string, unknown>, headers: IncomingHttpHeaders): Asked;
  /**
   * Waits for what was asked on `endpoints` (one, or several of a multiplexed poll, checked and authorized) until the
   * departure signal aborts; undefined when nothing came in time. `delivered` tells, once called, whether the answer
   * reached the client.
   */
  answer(endpoints: string[], asked: Asked, departure: AbortSignal, delivered: () => Promise<boolean>): Promise<PollAnswer | undefined>;
}
