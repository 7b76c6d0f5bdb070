import { pollUrl } from '../lib/client/poll-target.js';
import { multipartBoundary, parseMultipart, Part } from '../lib/client/multipart.js';
import type { DeliveryMode } from '../lib/index.js';

/** A message as an answer carried it. */
export interface Received {
  body: string;
  receipt?: string;
}

/** An answer's headers by lower-case name, as Node gives them. */
export type AnswerHeaders = Record<string, string | string[] | undefined>;

export interface LoopingPollerOptions {
  /** The app's delivery mode: at least once, every message must carry a receipt. */
  delivery: DeliveryMode;
  /** Batch polls of up to `max` messages (`?max=`); single polls when undefined. */
  max?: number;
}

/**
 * One client polling one endpoint in a loop, as a real one does: each poll acknowledges the receipts of the previous
 * answer (`?ack=`), so at least once costs no extra round trip; with `max` it asks for batches and counts their parts.
 */
export class LoopingPoller {
  /** Messages received so far. */
  messages = 0;
  /** What the run should not have met, with how often: an answer other than 200 or 504, a receipt amiss. */
  readonly surprises = new Map<string, number>();
  private acks: string[] = [];

  constructor(
    private readonly url: string,
    private readonly options: LoopingPollerOptions,
  ) {}

  /** Where the next poll goes. */
  next(): string {
    return pollUrl(this.url, this.options.max, this.acks);
  }

  /** Reads the answer to the poll of next(): its messages, whose receipts the next poll acknowledges. */
  answered(status: number, headers: AnswerHeaders, body: string): Received[] {
    // Any answer settles the acknowledgements it carried: taken (200, 504) or all refused (409, a surprise).
    this.acks = [];
    if (status !== 200) {
      if (status !== 504) this.surprise(`status ${status}`);
      return [];
    }
    const received = this.messagesOf(headers, body);
    for (const { receipt } of received) {
      if ((receipt !== undefined) !== (this.options.delivery === 'at-least-once')) {
        this.surprise(`a message ${receipt === undefined ? 'without' : 'with'} a receipt`);
      }
      if (receipt !== undefined) this.acks.push(receipt);
    }
    this.messages += received.length;
    return received;
  }

  /** The body as one message, or a batch's parts (the bench's messages are ASCII: the string has their bytes). */
  private messagesOf(headers: AnswerHeaders, body: string): Received[] {
    if (this.options.max === undefined) {
      return [{ body, receipt: headers['pistachio-receipt'] as string | undefined }];
    }
    const boundary = multipartBoundary((headers['content-type'] as string | undefined) ?? null);
    const parts = boundary === undefined ? undefined : partsOf(body, boundary);
    if (parts === undefined) {
      this.surprise('a batch answer that is not multipart/mixed as specified');
      return [];
    }
    return parts.map((part) => ({ body: Buffer.from(part.body).toString(), receipt: part.headers.get('pistachio-receipt') }));
  }

  private surprise(what: string): void {
    this.surprises.set(what, (this.surprises.get(what) ?? 0) + 1);
  }
}

/** A batch's parts, or undefined when malformed: not thrown, as it would surface in autocannon's socket handler. */
function partsOf(body: string, boundary: string): Part[] | undefined {
  try {
    return parseMultipart(Buffer.from(body), boundary);
  } catch {
    return undefined;
  }
}

/** Throws when any poller met a surprise: the figure would not measure what it claims. */
export function assertUnsurprised(pollers: LoopingPoller[]): void {
  const all = new Map<string, number>();
  pollers.forEach((poller) => poller.surprises.forEach((count, what) => all.set(what, (all.get(what) ?? 0) + count)));
  if (all.size > 0) {
    throw new Error(`unexpected answers: ${[...all].map(([what, count]) => `${what} × ${count}`).join(', ')}`);
  }
}
