/** What the endpoint's URL is split into at its query; a fragment, which fetch never sends, is dropped. */
function split(url: string | URL): { path: string; query: string } {
  const [, path, query = ''] = /^([^?#]*)(?:\?([^#]*))?/.exec(String(url)) as RegExpExecArray;
  return { path, query };
}

/**
 * `GET {url}?max=N&ack=r1,r2&after=cursor`: a poll asking for a batch of up to `max`, acknowledging `receipts`, and
 * asking for what a broadcast channel holds after the cursor `after` (each optional). The cursor goes in the query,
 * not in a `Last-Event-ID` header, which would make a cross-origin poll need a CORS preflight.
 */
export function pollUrl(url: string | URL, max: number | undefined, receipts: readonly string[], after?: string): string {
  const { path, query } = split(url);
  const params = [
    query,
    max === undefined ? '' : `max=${max}`,
    receipts.length === 0 ? '' : `ack=${receipts.map(encodeURIComponent).join(',')}`,
    after === undefined ? '' : `after=${encodeURIComponent(after)}`,
  ].filter((param) => param !== '');
  return params.length === 0 ? path : `${path}?${params.join('&')}`;
}

/** One endpoint's URL as the route's path (its query kept) and the endpoint. */
export function routeOf(url: string | URL): { route: string; endpoint: string } {
  const { path, query } = split(url);
  const at = path.lastIndexOf('/');
  return { route: `${path.slice(0, at)}${query === '' ? '' : `?${query}`}`, endpoint: decodeURIComponent(path.slice(at + 1)) };
}

/** Joins an endpoint to a receipt or to a channel's id, as the server does on a multiplexed poll. */
const NAMED = '~';

/** The position in each channel that a multiplexed cursor names (`news~1733560000000-0,alerts~0-0`). */
export function channelPositions(cursor: string): Map<string, string> {
  return new Map(cursor.split(',').map((position) => position.split(NAMED) as [string, string]));
}

/**
 * What a poll loop polls, and where it stands: one endpoint's URL; or (with `endpoints`) the route's path and a list of
 * endpoints that may change as the loop runs, polled as one multiplexed poll. In a broadcast registration it keeps the
 * cursor: the id after which to read one channel, or the position in each channel of a list, which it sends as the
 * server's multiplexed cursor (or as one channel's id when the list is down to one), so that a changed list resumes
 * every channel it kept.
 */
export class PollTarget {
  private list: readonly string[] | undefined;
  private after: string | undefined;
  private readonly positions = new Map<string, string>();
  /** The poll on its way, until its answer's headers came: a changed list ends it, to poll the new one at once. */
  private waiting: AbortController | undefined;
  private changed = false;

  constructor(
    private readonly url: string | URL,
    endpoints: readonly string[] | undefined,
    after: string | undefined,
  ) {
    this.list = endpoints && [...endpoints];
    if (endpoints === undefined || after === undefined) {
      this.after = after;
    } else if (after.includes(NAMED)) {
      channelPositions(after).forEach((id, channel) => this.positions.set(channel, id));
    } else {
      this.positions.set(endpoints[0], after);
    }
  }

  /** The endpoints polled from now on: a poll waiting on the old ones ends, and the next asks for these. */
  setEndpoints(endpoints: readonly string[]): void {
    if (this.list === undefined) {
      throw new TypeError('setEndpoints() needs a subscription made with the endpoints option');
    }
    this.list = [...endpoints];
    this.changed = true;
    this.waiting?.abort();
  }

  /**
   * The signal of the next poll (the loop's, or a change of the list while it waits), and what to call once the poll
   * is over.
   */
  begin(signal: AbortSignal | undefined): { signal: AbortSignal; end(): void } {
    this.changed = false;
    const waiting = (this.waiting = new AbortController());
    const abort = () => waiting.abort();
    if (signal?.aborted) {
      abort();
    }
    signal?.addEventListener('abort', abort, { once: true });
    return { signal: waiting.signal, end: () => signal?.removeEventListener('abort', abort) };
  }

  /** The poll's answer has come: it is read to the end whatever changes, so that no message in it is lost. */
  answered(): void {
    this.waiting = undefined;
  }

  /** Whether the last poll ended because the list changed (poll again at once). */
  get restarted(): boolean {
    return this.changed;
  }

  /** The cursor to resume from (the `after` option of another loop): one channel's id, or the multiplexed cursor. */
  get cursor(): string | undefined {
    return this.list === undefined ? this.after : this.positions.size === 0 ? undefined : this.positionsOf([...this.positions.keys()]);
  }

  /** The endpoints a stream of the target names in its events' types: those of a list of several, else none. */
  get named(): readonly string[] {
    return this.list !== undefined && this.list.length > 1 ? this.list : [];
  }

  /** The next poll's URL (see pollUrl): with a list, `{url}/{a},{b}`, and the cursor in the form the list takes. */
  pollUrl(max: number | undefined, receipts: readonly string[]): string {
    const list = this.list;
    if (list === undefined) {
      return pollUrl(this.url, max, receipts, this.after);
    }
    const { path, query } = split(this.url);
    const after = list.length === 1 ? this.positions.get(list[0]) : this.positionsOf(list);
    return pollUrl(`${path}/${list.join(',')}${query === '' ? '' : `?${query}`}`, max, receipts, after);
  }

  /** `{url}/{receipt}` (with a list, `{url}/{endpoint}/{receipt}`), the query kept: where a `DELETE` acknowledges it. */
  receiptUrl(receipt: string): string {
    const { path, query } = split(this.url);
    const endpoint = this.list === undefined ? '' : `/${receipt.slice(0, receipt.indexOf(NAMED))}`;
    return `${path}${endpoint}/${encodeURIComponent(receipt)}${query === '' ? '' : `?${query}`}`;
  }

  /** The endpoint of a message: the one its answer named, else the only one polled (none without a list). */
  endpointOf(named: string | undefined): string | undefined {
    return named ?? (this.list?.length === 1 ? this.list[0] : undefined);
  }

  /** A receipt as the loop keeps it: with a list, always naming its endpoint, so that any later poll may carry it. */
  receiptOf(receipt: string | undefined, endpoint: string | undefined): string | undefined {
    return receipt === undefined || endpoint === undefined || receipt.includes(NAMED) ? receipt : `${endpoint}${NAMED}${receipt}`;
  }

  /** Whether a poll of the current list may carry `receipt` (else it goes as a DELETE). */
  carries(receipt: string): boolean {
    return this.list === undefined || this.list.includes(receipt.slice(0, receipt.indexOf(NAMED)));
  }

  /** Moves the cursor past a message the consumer is done with. */
  passed({ id, cursor, endpoint }: { id?: string; cursor?: string; endpoint?: string }): void {
    if (this.list === undefined) {
      this.after = id ?? this.after;
    } else if (cursor !== undefined) {
      channelPositions(cursor).forEach((at, channel) => this.positions.set(channel, at));
    } else if (id !== undefined && endpoint !== undefined) {
      this.positions.set(endpoint, id);
    }
  }

  private positionsOf(channels: readonly string[]): string | undefined {
    const known = channels.filter((channel) => this.positions.has(channel));
    return known.length === 0 ? undefined : known.map((channel) => `${channel}${NAMED}${this.positions.get(channel)}`).join(',');
  }
}
