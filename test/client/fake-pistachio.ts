import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** The boundary of the fake's batch answers: known to the tests, so that a message can contain it. */
export const BOUNDARY = 'pistachio-batch';

/** A request as the fake understood it. */
export interface RecordedRequest {
  method: string;
  endpoint: string;
  /** The receipt of a `DELETE {endpoint}/{receipt}`. */
  receipt?: string;
  /** `?max=` */
  max?: number;
  /** `?ack=`, split at its commas. */
  ack: string[];
  /** `?after=`, the cursor of a broadcast poll. */
  after?: string;
  /** The query string as sent, `?` included ('' for none). */
  search: string;
  authorization?: string;
  /** The status answered; undefined while the poll waits. */
  status?: number;
}

/** An answer that replaces what the contract would give. */
export interface Override {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

interface Message {
  type: string;
  body: Buffer;
  /** Its place in its endpoint, from 1: in broadcast mode, its id is made of it (see idOf). */
  seq: number;
}

export interface FakeOptions {
  /** Whether answers carry receipts (an at-least-once registration). Default true; ignored in broadcast mode. */
  atLeastOnce?: boolean;
  /** Milliseconds a poll waits for a message before its 504. Default 10 000. */
  timeout?: number;
  /**
   * A broadcast registration: each endpoint is a channel whose retained log every poll reads from its cursor
   * (`?after=<id>`, or when none the next message published), answers carry `Pistachio-Id` and no receipt. Default false.
   */
  broadcast?: boolean;
  /** In broadcast mode, how many messages each channel retains, the oldest dropped first. Default: all. */
  retain?: number;
}

/** What a poll reads: the messages it is answered with once there are some, and the gap before them (an id). */
interface Read {
  pick: () => Message[] | undefined;
  gap?: string;
}

/**
 * Just enough of the server side of acknowledged delivery, batch polls and broadcast channels (README, Clients) for the
 * client's tests, on a real socket: `GET /messages/{endpoint}[?max=N][&ack=r1,r2][&after=id]`,
 * `DELETE /messages/{endpoint}/{receipt}`, a 409 (acknowledging nothing) for a receipt it does not hold; in broadcast
 * mode a `Pistachio-Gap` answer for a cursor older than what the channel retains and a 400 for a malformed or unknown
 * one. It records each request and each acknowledgement.
 */
export class FakePistachio {
  readonly requests: RecordedRequest[] = [];
  /** Receipts acknowledged, by a poll's `?ack=` or a DELETE, in the order they were. */
  readonly acknowledged: string[] = [];
  /** Replaces the contract's answer to the requests for which it returns one (e.g. a 503). */
  override?: (request: RecordedRequest) => Override | undefined;
  url = '';

  private readonly server: Server;
  private readonly queues = new Map<string, Message[]>();
  /** Receipts handed out and not acknowledged yet. */
  private readonly claimed = new Set<string>();
  private readonly wakeUps = new Set<() => void>();
  private issued = 0;

  private constructor(private readonly options: Required<FakeOptions>) {
    this.server = createServer((request, response) => void this.handle(request, response));
  }

  static async start(options: FakeOptions = {}): Promise<FakePistachio> {
    const { atLeastOnce = true, timeout = 10_000, broadcast = false, retain = Infinity } = options;
    const fake = new FakePistachio({ atLeastOnce, timeout, broadcast, retain });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/messages`;
    return fake;
  }

  /** Queues the message, or in broadcast mode appends it to the channel's log; returns its id there. */
  publish(endpoint: string, body: string | Buffer, type = 'text/plain; charset=utf-8'): string {
    const messages = this.queue(endpoint);
    const seq = (messages.at(-1)?.seq ?? 0) + 1;
    messages.push({ type, body: Buffer.from(body), seq });
    if (this.options.broadcast) {
      messages.splice(0, Math.max(0, messages.length - this.options.retain));
    }
    this.wakeUps.forEach((wakeUp) => wakeUp());
    return idOf(seq);
  }

  /** The receipt's visibility timeout passed: acknowledging it is refused from now on. */
  expire(receipt: string): void {
    this.claimed.delete(receipt);
  }

  /** The requests of one method, e.g. the DELETEs. */
  sent(method: string): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(incoming.url ?? '/', 'http://fake');
    const [, endpoint = '', receipt] = /^\/messages\/([^/]+)(?:\/([^/]+))?$/.exec(url.pathname) ?? [];
    const request: RecordedRequest = {
      method: incoming.method ?? '',
      endpoint,
      receipt: receipt === undefined ? undefined : decodeURIComponent(receipt),
      max: url.searchParams.has('max') ? Number(url.searchParams.get('max')) : undefined,
      ack: url.searchParams.get('ack')?.split(',') ?? [],
      after: url.searchParams.get('after') ?? undefined,
      search: url.search,
      authorization: incoming.headers.authorization,
    };
    this.requests.push(request);
    const answer = (status: number, headers: Record<string, string> = {}, body: string | Buffer = '') => {
      request.status = status;
      response.writeHead(status, headers).end(body);
    };
    const override = this.override?.(request);
    if (override) {
      return answer(override.status, override.headers, override.body);
    }
    if (request.method === 'DELETE') {
      return this.acknowledge([request.receipt ?? '']) ? answer(204) : answer(409, {}, 'unknown receipt');
    }
    if (!this.acknowledge(request.ack)) {
      return answer(409, {}, 'unknown receipt');
    }
    const max = request.max ?? 1;
    const read = this.options.broadcast ? this.readChannel(endpoint, request.after, max) : this.readQueue(endpoint, max);
    if (read === undefined) {
      return answer(400, {}, 'malformed or unknown cursor');
    }
    const messages = await this.take(read.pick, response);
    if (messages === 'gone') {
      return;
    }
    if (messages === 'timeout') {
      return answer(504, {}, 'Timeout waiting for response');
    }
    const gap: Record<string, string> = read.gap === undefined ? {} : { 'Pistachio-Gap': read.gap };
    const described = messages.map((message) => ({ ...message, headers: this.describe(message) }));
    if (request.max === undefined) {
      const [{ type, headers, body }] = described;
      return answer(200, { 'Content-Type': type, ...headers, ...gap }, body);
    }
    const parts = described.map(({ type, body, headers: own }) => {
      const headers = { 'Content-Type': type, 'Content-Length': String(body.length), ...own };
      const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
      return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n${head.join('')}\r\n`), body, Buffer.from('\r\n')]);
    });
    const batch = Buffer.concat([...parts, Buffer.from(`--${BOUNDARY}--\r\n`)]);
    answer(200, { 'Content-Type': `multipart/mixed; boundary=${BOUNDARY}`, ...gap }, batch);
  }

  /** The headers of a message handed out: its id in broadcast mode, else its receipt if any (claimed now). */
  private describe({ seq }: Message): Record<string, string> {
    if (this.options.broadcast) {
      return { 'Pistachio-Id': idOf(seq) };
    }
    const receipt = this.claim();
    return receipt === undefined ? {} : { 'Pistachio-Receipt': receipt, 'Pistachio-Delivery-Count': '1' };
  }

  /** A queue poll takes up to `max` messages off the queue. */
  private readQueue(endpoint: string, max: number): Read {
    const queue = this.queue(endpoint);
    return { pick: () => (queue.length > 0 ? queue.splice(0, max) : undefined) };
  }

  /**
   * A broadcast poll reads up to `max` retained messages after its cursor, or when none the messages published from now
   * on; from the oldest retained one, with a gap, when the cursor is older than that. Undefined for a cursor that is
   * malformed or that the channel never handed out.
   */
  private readChannel(endpoint: string, after: string | undefined, max: number): Read | undefined {
    const log = this.queue(endpoint);
    const last = log.at(-1)?.seq ?? 0;
    const cursor = after === undefined ? last : seqOf(after);
    if (cursor === undefined || cursor > last) {
      return undefined;
    }
    const oldest = log[0]?.seq ?? 1;
    const from = Math.max(cursor + 1, oldest);
    const pick = () => {
      const messages = log.filter((message) => message.seq >= from).slice(0, max);
      return messages.length > 0 ? messages : undefined;
    };
    return { pick, gap: from > cursor + 1 ? idOf(from) : undefined };
  }

  /** All or nothing, as the contract says. */
  private acknowledge(receipts: string[]): boolean {
    if (!receipts.every((receipt) => this.claimed.has(receipt))) {
      return false;
    }
    receipts.forEach((receipt) => this.claimed.delete(receipt));
    this.acknowledged.push(...receipts);
    return true;
  }

  /** A receipt made of every character the contract allows, or none in an at-most-once registration. */
  private claim(): string | undefined {
    if (!this.options.atLeastOnce) {
      return undefined;
    }
    const receipt = `r${++this.issued}_.~-`;
    this.claimed.add(receipt);
    return receipt;
  }

  /** What `pick` gives as soon as it gives something; or why it did not. */
  private take(pick: Read['pick'], response: ServerResponse): Promise<Message[] | 'timeout' | 'gone'> {
    return new Promise((resolve) => {
      const settle = (outcome: Message[] | 'timeout' | 'gone') => {
        clearTimeout(timer);
        this.wakeUps.delete(check);
        resolve(outcome);
      };
      const check = () => {
        const messages = pick();
        if (messages !== undefined) {
          settle(messages);
        }
      };
      const timer = setTimeout(() => settle('timeout'), this.options.timeout);
      response.once('close', () => settle('gone'));
      this.wakeUps.add(check);
      check();
    });
  }

  private queue(endpoint: string): Message[] {
    const queue = this.queues.get(endpoint) ?? [];
    this.queues.set(endpoint, queue);
    return queue;
  }
}

/** The broadcast id of the `seq`-th message of a channel, shaped as the server's (`<ms>-<n>`): opaque to the client. */
const EPOCH = '1764460000000';
function idOf(seq: number): string {
  return `${EPOCH}-${seq}`;
}

/** The `seq` an id of idOf's stands for; undefined for anything else. */
function seqOf(id: string): number | undefined {
  const match = new RegExp(`^${EPOCH}-(\\d+)$`).exec(id);
  return match ? Number(match[1]) : undefined;
}
