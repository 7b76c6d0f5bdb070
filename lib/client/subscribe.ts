import { messages } from './messages.js';
import { BodyFormat, MessageOf, PollOptions } from './poll-options.interface.js';

export interface SubscribeOptions<F extends BodyFormat = 'text'> extends PollOptions<F> {
  /** Called with each message, in order; the next poll waits for a promise it returns. */
  onMessage(message: MessageOf<F>): void | Promise<void>;
  /** Called once with what ended the loop: a PollRefusedError, a body that would not decode, or a throw of onMessage. */
  onError?(error: unknown): void;
}

export interface Subscription {
  /** Ends the loop and its pending request. */
  close(): void;
  /** Settles when the loop has ended; rejects with the error when no `onError` was given. */
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
  const done = (async () => {
    try {
      for await (const message of messages(url, { ...options, signal: controller.signal } as PollOptions<F>)) {
        await onMessage(message);
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
