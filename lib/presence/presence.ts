/**
 * How many receives wait on a registration's endpoints now, across every instance of the app: polls of the route and
 * receive calls of the app, counted where Receives admits them.
 */
export interface Presence {
  /** Receives waiting on `endpoint` now, across all instances (on Redis, other instances as of the last second). */
  count(endpoint: string): Promise<number>;
  /** Receives waiting on any of the registration's endpoints, across all instances, as of the last second. */
  readonly total: number;
  /** Stops counting this instance in (it no longer waits on anything). */
  close(): Promise<void>;
}
