import { retryAfter } from './backoff.js';
import { multipartBoundary, parseMultipart } from './multipart.js';
import { PollFailedError, PollRefusedError } from './poll-errors.js';
import { BodyFormat, Gap, PollOptions } from './poll-options.interface.js';
import type { PollTarget } from './poll-target.js';

/**
 * A message as it came, before it is decoded as asked; with a `receipt` (and how long it holds, `visibility`) in
 * at-least-once registrations only, with an `id` in broadcast ones only (and the `cursor` of all channels on a
 * multiplexed poll), with its `endpoint` on a multiplexed poll.
 */
export interface Delivery {
  body: Uint8Array;
  receipt?: string;
  visibility?: number;
  id?: string;
  cursor?: string;
  endpoint?: string;
}

/** The messages of an answer (none after a 504), and the gaps before them when the server no longer had those after the cursor. */
export interface Answer {
  deliveries: Delivery[];
  gaps: Gap[];
}

/**
 * What one poll came to: an answer; a refusal of the acknowledgements it carried (a 409: the server took none of them
 * and handed out no message); or a failure to retry after `delay` (if the server said).
 */
export type PollOutcome = Answer | { acknowledgementsRefused: true } | { failure: unknown; delay?: number };

const RECEIPT = 'Pistachio-Receipt';
const ID = 'Pistachio-Id';
const CURSOR = 'Pistachio-Cursor';
const ENDPOINT = 'Pistachio-Endpoint';
const GAP = 'Pistachio-Gap';
const VISIBILITY = 'Pistachio-Visibility-Timeout';

/**
 * One `GET` of the target, acknowledging `receipts` on the way and asking for what follows its cursor; throws a
 * PollRefusedError on a 4xx that is not to be retried.
 */
export async function poll(target: PollTarget, options: PollOptions<BodyFormat>, receipts: readonly string[]): Promise<PollOutcome> {
  const after = target.cursor;
  const { signal, end } = target.begin(options.signal);
  let response: Response;
  let body: Uint8Array;
  try {
    response = await send(target.pollUrl(options.max, receipts), { signal }, options);
    target.answered();
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    return { failure: error };
  } finally {
    end();
  }
  switch (true) {
    case response.status === 200:
      return { deliveries: deliveriesOf(response, body, options.max !== undefined), gaps: gapsOf(response, after) };
    case response.status === 504:
      return { deliveries: [], gaps: [] };
    case response.status === 409 && receipts.length > 0:
      return { acknowledgementsRefused: true };
    case response.status === 503 || response.status === 429:
      return { failure: new PollFailedError(response.status, text(body)), delay: retryAfter(response) };
    case response.status >= 500:
      return { failure: new PollFailedError(response.status, text(body)) };
    default:
      throw new PollRefusedError(response.status, text(body));
  }
}

/**
 * One `DELETE` of a receipt. Resolves true once the server has settled it (acknowledged it, or refused it for good:
 * unknown, already acknowledged or expired) and false when it is worth sending again (429, 5xx, network failure).
 */
export async function acknowledge(target: PollTarget, receipt: string, options: PollOptions<BodyFormat>): Promise<boolean> {
  try {
    // keepalive: sent as a page goes away (a close() on pagehide), it still reaches the server.
    const response = await send(target.receiptUrl(receipt), { method: 'DELETE', keepalive: true }, options);
    await response.arrayBuffer();
    return response.status < 500 && response.status !== 429;
  } catch {
    return false;
  }
}

/** One `PATCH` of a receipt: its message stays claimed `visibility` ms from now. Resolves whether the server took it. */
export async function extend(target: PollTarget, receipt: string, visibility: number, options: PollOptions<BodyFormat>): Promise<boolean> {
  const url = target.receiptUrl(receipt);
  const response = await send(`${url}${url.includes('?') ? '&' : '?'}visibility=${visibility}`, { method: 'PATCH' }, options);
  await response.arrayBuffer();
  return response.status === 204;
}

/** A request with the caller's headers (asked for afresh each time), credentials and fetch, never answered by a cache. */
async function send(url: string, init: RequestInit, options: PollOptions<BodyFormat>): Promise<Response> {
  const headers = typeof options.headers === 'function' ? await options.headers() : options.headers;
  const fetchRequest = options.fetch ?? globalThis.fetch;
  return fetchRequest(url, { ...init, headers, credentials: options.credentials, cache: 'no-store' });
}

/** The messages of a 200: the parts of a batch (only if one was asked for: an app's own type may be multipart), or the body. */
function deliveriesOf(response: Response, body: Uint8Array, batch: boolean): Delivery[] {
  const boundary = batch ? multipartBoundary(response.headers.get('Content-Type')) : undefined;
  if (boundary === undefined) {
    return [deliveryOf(body, (name) => response.headers.get(name))];
  }
  return parseMultipart(body, boundary).map((part) => deliveryOf(part.body, (name) => part.headers.get(name.toLowerCase())));
}

/** A message and what its headers (the answer's, or its part's in a batch) say of it. */
function deliveryOf(body: Uint8Array, header: (name: string) => string | null | undefined): Delivery {
  const [receipt, id, cursor, endpoint, visibility] = [RECEIPT, ID, CURSOR, ENDPOINT, VISIBILITY].map((name) => header(name) ?? undefined);
  return { body, receipt, id, cursor, endpoint, ...(visibility !== undefined && { visibility: Number(visibility) }) };
}

/**
 * The gaps a broadcast answer announces: the server no longer had the messages after the cursor `after` (on a
 * multiplexed poll, in each channel named: `<channel>~<id>`, separated by commas).
 */
function gapsOf(response: Response, after: string | undefined): Gap[] {
  const header = response.headers.get(GAP);
  if (header === null) {
    return [];
  }
  return header.split(',').map((gap) => {
    const at = gap.indexOf('~');
    return at < 0 ? { after, resumedAt: gap } : { after, resumedAt: gap.slice(at + 1), endpoint: gap.slice(0, at) };
  });
}

function text(body: Uint8Array): string {
  return new TextDecoder().decode(body);
}
