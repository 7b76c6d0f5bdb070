import type { IncomingHttpHeaders } from 'node:http';
import type { EventStream } from './event-stream.js';

/**
 * How a registration's endpoints answer a stream (`Accept: text/event-stream`) of one endpoint or of several: as queues
 * or as broadcast channels. The controller does the rest (names, authorization, admission, the stream's headers and
 * lifetime) the same for both.
 */
export interface EndpointStreams<Asked = unknown> {
  /** What the stream of `endpoints` asks, checked before anything else: a module error with its 400 says what is wrong. */
  parse(endpoints: string[], query: Record<string, unknown>, headers: IncomingHttpHeaders): Asked;
  /**
   * Where the stream of `endpoints` starts, fixed before it answers, so that its `200` means it listens: what is
   * published from then on reaches it.
   */
  begin(endpoints: string[], asked: Asked): Promise<Asked>;
  /**
   * Sends the messages of `endpoints` to `stream` as they come (on a stream of several, each event names its
   * endpoint), until `signal` aborts (the client left, shutdown, the stream's lifetime) or the stream ends (its client
   * too slow). The stream is admitted already: nothing here waits as a receive of its own.
   */
  run(endpoints: string[], asked: Asked, stream: EventStream, signal: AbortSignal): Promise<void>;
}
