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
}

export interface FakeOptions {
  /** Whether answers carry receipts (an at-least-once registration). Default true. */
  atLeastOnce?: boolean;
  /** Milliseconds a poll waits for a message before its 504. Default 10 000. */
  timeout?: number;
}

/**
 * Just enough of the server side of acknowledged delivery and batch polls (README, Clients) for the client's tests,
 * on a real socket: `GET /messages/{endpoint}[?max=N][&ack=r1,r2]`, `DELETE /messages/{endpoint}/{receipt}`, a 409
 * (acknowledging nothing) for a receipt it does not hold. It records each request and each acknowledgement.
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

  static async start({ atLeastOnce = true, timeout = 10_000 }: FakeOptions = {}): Promise<FakePistachio> {
    const fake = new FakePistachio({ atLeastOnce, timeout });
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/messages`;
    return fake;
  }

  publish(endpoint: string, body: string | Buffer, type = 'text/plain; charset=utf-8'): void {
    this.queue(endpoint).push({ type, body: Buffer.from(body) });
    this.wakeUps.forEach((wakeUp) => wakeUp());
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
    const messages = await this.take(endpoint, request.max ?? 1, response);
    if (messages === 'gone') {
      return;
    }
    if (messages === 'timeout') {
      return answer(504, {}, 'Timeout waiting for response');
    }
    const receipts = messages.map(() => this.claim());
    if (request.max === undefined) {
      return answer(200, { 'Content-Type': messages[0].type, ...receiptHeaders(receipts[0]) }, messages[0].body);
    }
    const parts = messages.map(({ type, body }, i) => {
      const headers = { 'Content-Type': type, 'Content-Length': String(body.length), ...receiptHeaders(receipts[i]) };
      const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
      return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\n${head.join('')}\r\n`), body, Buffer.from('\r\n')]);
    });
    const batch = Buffer.concat([...parts, Buffer.from(`--${BOUNDARY}--\r\n`)]);
    answer(200, { 'Content-Type': `multipart/mixed; boundary=${BOUNDARY}` }, batch);
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

  /** Up to `max` messages of the endpoint, taken as soon as there is one; or why none was. */
  private take(endpoint: string, max: number, response: ServerResponse): Promise<Message[] | 'timeout' | 'gone'> {
    return new Promise((resolve) => {
      const settle = (outcome: Message[] | 'timeout' | 'gone') => {
        clearTimeout(timer);
        this.wakeUps.delete(check);
        resolve(outcome);
      };
      const check = () => this.queue(endpoint).length > 0 && settle(this.queue(endpoint).splice(0, max));
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

function receiptHeaders(receipt: string | undefined): Record<string, string> {
  return receipt === undefined ? {} : { 'Pistachio-Receipt': receipt, 'Pistachio-Delivery-Count': '1' };
}
