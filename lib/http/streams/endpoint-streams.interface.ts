import type { IncomingHttpHeaders } from 'node:http';
import type { EventStream } from './event-stream.js';

/**
 * How a registration's endpoints answer a stream (`Accept: text/event-stream`): as queues or as broadcast channels.
 * The controller does the rest (names, authorization, admission, the stream's headers and lifetime) the same for both.
 */
export interface EndpointStreams<Asked = unknown> {
  /** What the stream asks, checked before anything else: a module error with its 400 says what is wrong. */
  parse(query: Record<string, unknown>, headers: IncomingHttpHeaders): Asked;
  /**
   * Where the stream of `endpoint` starts, fixed before it answers, so that its `200` means it listens: what is
   * published from then on reaches it.
   */
  begin(endpoint: string, asked: Asked): Promise<Asked>;
  /**
   * Sends the messages of `endpoint` to `stream` as they come, until `signal` aborts (the client left, shutdown, the
   * stream's lifetime) or the stream ends (its client too slow). The stream is admitted already: nothing here waits as
   * a receive of its own.
   */
  run(endpoint: string, asked: Asked, stream: EventStream, signal: AbortSignal): Promise<void>;
}
