import { EventStreamTransport } from './event-stream-transport.js';
import { poll, PollOutcome } from './poll.js';
import { StreamFailedError } from './poll-errors.js';
import type { BodyFormat, PollOptions } from './poll-options.interface.js';
import type { PollTarget } from './poll-target.js';

/** How a loop gets its messages: one outcome after another, each as a poll's (see PollOutcome). */
export interface Transport {
  /** What the next poll came to, acknowledging `receipts` on the way; on a stream, its next event or its end. */
  next(receipts: readonly string[]): Promise<PollOutcome>;
  /** The loop has ended. */
  close(): void;
}

/** What chooses a loop's transport (subscribe's options of the same names). */
export interface TransportChoice extends PollOptions<BodyFormat> {
  transport?: 'poll' | 'sse' | 'auto';
  EventSource?: typeof globalThis.EventSource;
}

/** Long polls, one after another: the default. */
export function polls(target: PollTarget, options: PollOptions<BodyFormat>): Transport {
  return { next: (receipts) => poll(target, options, receipts), close: () => undefined };
}

/**
 * The transport that `choice` asks for, for a target and the loop's options: `poll`; `sse`, a stream; `auto`, a
 * stream, and polls from the cursor for the rest of the loop when the first stream does not open (refused, e.g. 406 at
 * least once, or failed), or polls from the start when it cannot stream. Checked at once: `sse` where it cannot stream
 * throws a TypeError that says why.
 */
export function transportFor(choice: TransportChoice): (target: PollTarget, options: PollOptions<BodyFormat>) => Transport {
  const { transport = 'poll' } = choice;
  const unfit = transport === 'poll' ? undefined : unstreamable(choice);
  if (transport === 'sse' && unfit !== undefined) {
    throw new TypeError(`transport: 'sse' cannot stream: ${unfit}; use transport: 'auto' to poll instead`);
  }
  const EventSource = choice.EventSource ?? globalThis.EventSource;
  if (transport === 'poll' || unfit !== undefined) {
    return polls;
  }
  return transport === 'sse'
    ? (target, options) => new EventStreamTransport(target, options, EventSource)
    : (target, options) => fallingBack(new EventStreamTransport(target, options, EventSource), polls(target, options));
}

/** Why a loop with these options cannot stream, or undefined when it can. */
function unstreamable({ EventSource, headers, fetch, credentials }: TransportChoice): string | undefined {
  if (EventSource === undefined && typeof globalThis.EventSource === 'undefined') {
    return "this runtime has no EventSource (in Node, pass one as the EventSource option, e.g. the eventsource package's)";
  }
  if (headers !== undefined) {
    return 'EventSource sends no request headers of yours (the headers option)';
  }
  if (fetch !== undefined) {
    return 'EventSource does not go through the fetch option';
  }
  if (credentials === 'omit') {
    return "EventSource cannot omit credentials (credentials: 'omit')";
  }
  return undefined;
}

/**
 * `auto`: the stream's outcomes; the fallback's for the rest of the loop if a stream did not open before any had. Once
 * one has, streams work here: a later one that does not open (a restart, a 503) is retried as `sse` does.
 */
function fallingBack(stream: Transport, fallback: Transport): Transport {
  let current = stream;
  let streamed = false;
  return {
    async next(receipts) {
      const outcome = await current.next(receipts);
      streamed ||= 'deliveries' in outcome;
      if (current === fallback || streamed || !('failure' in outcome && outcome.failure instanceof StreamFailedError)) {
        return outcome;
      }
      current = fallback;
      return current.next(receipts);
    },
    close: () => current.close(),
  };
}
