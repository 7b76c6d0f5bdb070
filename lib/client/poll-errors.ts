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
