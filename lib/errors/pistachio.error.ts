import { HttpStatus } from '@nestjs/common';

/** Base class of every error the module throws, for a single `instanceof` check. */
export class PistachioError extends Error {
  /**
   * The HTTP status that the route answers this error with; undefined for the errors that answer no client (start-up,
   * options, publishing), which the route leaves as they are.
   */
  readonly status: number | undefined;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }

  /** Whether the client should retry later, as a 429 or a 503 says (the route adds `Retry-After`); other 4xx mean stop. */
  get retryLater(): boolean {
    return this.status === HttpStatus.TOO_MANY_REQUESTS || this.status === HttpStatus.SERVICE_UNAVAILABLE;
  }
}
