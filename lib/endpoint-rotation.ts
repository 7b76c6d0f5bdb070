/** How many lists of endpoints an instance remembers the turn of: the least recently served are forgotten first. */
const REMEMBERED_LISTS = 10_000;

/**
 * Whose turn it is among the endpoints of a receive on several: per list of endpoints, this instance remembers the one
 * it served last, and the next receive of that list starts after it, so that a busy endpoint cannot hold back a quiet
 * one.
 */
export class EndpointRotation {
  private readonly servedLast = new Map<string, string>();

  /** `endpoints` from the one after the endpoint served last for this list (as given, the first time). */
  order(endpoints: string[]): string[] {
    const last = this.servedLast.get(endpoints.join(','));
    const at = last === undefined ? 0 : endpoints.indexOf(last) + 1;
    return [...endpoints.slice(at), ...endpoints.slice(0, at)];
  }

  /** `endpoint` was served last for the list. */
  served(endpoints: string[], endpoint: string): void {
    const list = endpoints.join(',');
    this.servedLast.delete(list);
    this.servedLast.set(list, endpoint);
    if (this.servedLast.size > REMEMBERED_LISTS) {
      this.servedLast.delete(this.servedLast.keys().next().value!);
    }
  }
}
