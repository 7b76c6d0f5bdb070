import { BackoffOptions } from './poll-options.interface.js';

export const DEFAULT_BACKOFF_BASE = 1_000;
export const DEFAULT_BACKOFF_CAP = 30_000;

/** Exponential backoff with full jitter: the n-th retry waits a random time up to min(cap, base * 2^n). */
export class Backoff {
  private readonly base: number;
  private readonly cap: number;
  private attempt = 0;

  constructor({ base = DEFAULT_BACKOFF_BASE, cap = DEFAULT_BACKOFF_CAP }: BackoffOptions, private readonly random: () => number) {
    this.base = base;
    this.cap = cap;
  }

  next(): number {
    return this.random() * Math.min(this.cap, this.base * 2 ** this.attempt++);
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Milliseconds that a `Retry-After` header (seconds, or an HTTP date) asks for; undefined when absent or unreadable. */
export function retryAfter(response: Response, now = Date.now()): number | undefined {
  const value = response.headers.get('Retry-After');
  if (value === null || value.trim() === '') {
    return undefined;
  }
  const seconds = Number(value);
  if (Number.isFinite(seconds)) {
    return Math.max(0, seconds * 1_000);
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
