/** The server refused a poll (a 4xx, or an answer the loop does not retry): the loop stops. */
export class PollRefusedError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`The server refused the poll with ${status}${body ? `: ${body.slice(0, 200)}` : ''}`);
    this.name = 'PollRefusedError';
  }
}

/** A server error or network failure that the loop retries; given to `onRetry`. */
export class PollFailedError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`The poll failed with ${status}; retrying`);
    this.name = 'PollFailedError';
  }
}

/**
 * An event stream that did not open, which the loop retries with backoff; given to `onRetry`. A browser's EventSource
 * does not say why, so `status` is known only where the EventSource tells it (e.g. the `eventsource` package's).
 */
export class StreamFailedError extends Error {
  constructor(readonly status?: number) {
    super(`The event stream did not open${status === undefined ? '' : ` (${status})`}; retrying`);
    this.name = 'StreamFailedError';
  }
}
