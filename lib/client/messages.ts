import { Backoff, retryAfter } from './backoff.js';
import { PollFailedError, PollRefusedError } from './poll-errors.js';
import { BodyFormat, MessageOf, PollOptions } from './poll-options.interface.js';

/** What one poll came to: a message, nothing yet (504), or a failure to retry after `delay` (if the server said). */
type Outcome = { message: unknown } | { again: true } | { failure: unknown; delay?: number };

/**
 * The messages of one endpoint, as they come: `for await (const message of messages(url)) { … }`.
 * It polls again at once after a message or a 504; waits `Retry-After` after a 503 or a 429 (both mean "retry later");
 * backs off exponentially with full jitter after other server errors and network failures; stops with a
 * PollRefusedError on another 4xx (and with the SyntaxError of a body that is not the JSON asked for); ends quietly
 * when `signal` aborts.
 */
export async function* messages<F extends BodyFormat = 'text'>(
  url: string | URL,
  options: PollOptions<F> = {},
): AsyncGenerator<MessageOf<F>, void, undefined> {
  const { signal, onRetry, sleep = abortableSleep, random = Math.random } = options;
  const backoff = new Backoff(options.backoff ?? {}, random);
  while (!signal?.aborted) {
    const outcome = await pollOnce(url, options);
    if (signal?.aborted) {
      return;
    }
    if ('message' in outcome) {
      backoff.reset();
      yield outcome.message as MessageOf<F>;
    } else if ('again' in outcome) {
      backoff.reset();
    } else {
      const delay = outcome.delay ?? backoff.next();
      onRetry?.(outcome.failure, delay);
      await sleep(delay, signal);
    }
  }
}

async function pollOnce<F extends BodyFormat>(url: string | URL, options: PollOptions<F>): Promise<Outcome> {
  let response: Response;
  let body: string | Uint8Array;
  try {
    const headers = typeof options.headers === 'function' ? await options.headers() : options.headers;
    const fetchMessage = options.fetch ?? globalThis.fetch;
    response = await fetchMessage(url, { headers, credentials: options.credentials, signal: options.signal, cache: 'no-store' });
    body = response.status === 200 && options.as === 'bytes' ? new Uint8Array(await response.arrayBuffer()) : await response.text();
  } catch (error) {
    return { failure: error };
  }
  switch (true) {
    case response.status === 200:
      return { message: options.as === 'json' ? JSON.parse(body as string) : body };
    case response.status === 504:
      return { again: true };
    case response.status === 503 || response.status === 429:
      return { failure: new PollFailedError(response.status, body as string), delay: retryAfter(response) };
    case response.status >= 500:
      return { failure: new PollFailedError(response.status, body as string) };
    default:
      throw new PollRefusedError(response.status, body as string);
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
