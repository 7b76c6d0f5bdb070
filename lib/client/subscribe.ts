import { messages } from './messages.js';
import { BodyFormat, MessageOf, PollOptions } from './poll-options.interface.js';

export interface SubscribeOptions<F extends BodyFormat = 'text'> extends PollOptions<F> {
  /**
   * Called with each message, in order; the next poll waits for a promise it returns. In an at-least-once registration
   * the message is acknowledged once it returns or its promise resolves; when it throws or rejects, it is not (the
   * message comes again after the server's visibility timeout) and the loop ends.
   */
  onMessage(message: MessageOf<F>): void | Promise<void>;
  /** Called once with what ended the loop: a PollRefusedError, a body that would not decode, or a throw of onMessage. */
  onError?(error: unknown): void;
}

export interface Subscription {
  /** Ends the loop and its pending request. */
  close(): void;
  /**
   * Settles when the loop has ended, after the acknowledgements still pending were sent (or failed); rejects with the
   * error when no `onError` was given.
   */
  readonly done: Promise<void>;
}

/** The callback form of {@link messages}: `const subscription = subscribe(url, { onMessage })`. */
export function subscribe<F extends BodyFormat = 'text'>(
  url: string | URL,
  { onMessage, onError, signal, ...options }: SubscribeOptions<F>,
): Subscription {
  const controller = new AbortController();
  if (signal?.aborted) {
    controller.abort();
  }
  signal?.addEventListener('abort', () => controller.abort(), { once: true });
  const loop = messages(url, { ...options, signal: controller.signal } as PollOptions<F>);
  const done = (async () => {
    try {
      for (let next = await loop.next(); !next.done; ) {
        // A failed onMessage is thrown back into the loop, which then leaves its message unacknowledged and ends.
        next = await Promise.resolve(next.value)
          .then(onMessage)
          .then(
            () => loop.next(),
            (error: unknown) => loop.throw(error),
          );
      }
    } catch (error) {
      if (!onError) {
        throw error;
      }
      onError(error);
    }
  })();
  return { close: () => controller.abort(), done };
}
