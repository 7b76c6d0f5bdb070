import { retryAfter } from './backoff.js';
import { pollUrl, receiptUrl } from './endpoint-url.js';
import { multipartBoundary, parseMultipart } from './multipart.js';
import { PollFailedError, PollRefusedError } from './poll-errors.js';
import { BodyFormat, Gap, PollOptions } from './poll-options.interface.js';

/**
 * A message as it came, before it is decoded as asked; with a `receipt` in at-least-once registrations only, with an
 * `id` in broadcast ones only.
 */
export interface Delivery {
  body: Uint8Array;
  receipt?: string;
  id?: string;
}

/** The messages of an answer (none after a 504), and the gap before them when the server no longer had those after the cursor. */
export interface Answer {
  deliveries: Delivery[];
  gap?: Gap;
}

/**
 * What one poll came to: an answer; a refusal of the acknowledgements it carried (a 409: the server took none of them
 * and handed out no message); or a failure to retry after `delay` (if the server said).
 */
export type PollOutcome = Answer | { acknowledgementsRefused: true } | { failure: unknown; delay?: number };

const RECEIPT = 'Pistachio-Receipt';
const ID = 'Pistachio-Id';
const GAP = 'Pistachio-Gap';

/**
 * One `GET`, acknowledging `receipts` on the way and asking for what follows the cursor `after`; throws a
 * PollRefusedError on a 4xx that is not to be retried.
 */
export async function poll(
  url: string | URL,
  options: PollOptions<BodyFormat>,
  { receipts, after }: { receipts: readonly string[]; after?: string },
): Promise<PollOutcome> {
  let response: Response;
  let body: Uint8Array;
  try {
    response = await send(pollUrl(url, options.max, receipts, after), { signal: options.signal }, options);
    body = new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    return { failure: error };
  }
  switch (true) {
    case response.status === 200:
      return { deliveries: deliveriesOf(response, body, options.max !== undefined), gap: gapOf(response, after) };
    case response.status === 504:
      return { deliveries: [] };
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
export async function acknowledge(url: string | URL, receipt: string, options: PollOptions<BodyFormat>): Promise<boolean> {
  try {
    // keepalive: sent as a page goes away (a close() on pagehide), it still reaches the server.
    const response = await send(receiptUrl(url, receipt), { method: 'DELETE', keepalive: true }, options);
    await response.arrayBuffer();
    return response.status < 500 && response.status !== 429;
  } catch {
    return false;
  }
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
  return { body, receipt: header(RECEIPT) ?? undefined, id: header(ID) ?? undefined };
}

/** The gap a broadcast answer announces: the server no longer had the messages after the cursor `after`. */
function gapOf(response: Response, after: string | undefined): Gap | undefined {
  const resumedAt = response.headers.get(GAP);
  return resumedAt === null ? undefined : { after, resumedAt };
}

function text(body: Uint8Array): string {
  return new TextDecoder().decode(body);
}
