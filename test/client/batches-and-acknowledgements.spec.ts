import { afterEach, describe, expect, it } from '@jest/globals';
import { messages, subscribe } from '../../lib/client/index.js';
import { until } from '../support/until.js';
import { BOUNDARY, FakeOptions, FakePistachio, RecordedRequest } from './fake-pistachio.js';

/** The receipt the fake hands out n-th (see FakePistachio.claim). */
const receipt = (n: number) => `r${n}_.~-`;

/** DELETEs go out together: their order of arrival is not theirs to keep. */
const byReceipt = (requests: RecordedRequest[]) => [...requests].sort((a, b) => a.receipt!.localeCompare(b.receipt!));

describe('The reference client: batches and acknowledgements, against a fake server on a real socket', () => {
  let fake: FakePistachio;
  afterEach(() => fake.close());
  const start = async (options?: FakeOptions) => (fake = await FakePistachio.start(options));

  it('reads a batch by its parts’ lengths, whatever their bodies hold, as text, JSON or bytes', async () => {
    await start({ atLeastOnce: false });
    const tricky = `line one\r\n--${BOUNDARY}\r\nContent-Length: 3\r\n\r\nnot a part\r\n--${BOUNDARY}--\r\n`;
    for (const text of ['plain', 'héllo wörld ✓', tricky, '']) {
      fake.publish('text', text);
    }
    const texts: string[] = [];
    for await (const message of messages(`${fake.url}/text`, { max: 10 })) {
      texts.push(message);
      if (texts.length === 4) break;
    }
    expect(texts).toEqual(['plain', 'héllo wörld ✓', tricky, '']);

    fake.publish('json', '{"n":1}', 'application/json');
    fake.publish('json', '[2]', 'application/json');
    const json = messages(`${fake.url}/json`, { max: 2, as: 'json' });
    expect([(await json.next()).value, (await json.next()).value]).toEqual([{ n: 1 }, [2]]);
    await json.return();

    fake.publish('bytes', Buffer.from([0, 13, 10, 45, 45, 255]), 'application/octet-stream');
    fake.publish('bytes', Buffer.from(`\r\n--${BOUNDARY}--\r\n`), 'application/octet-stream');
    const bytes = messages(`${fake.url}/bytes`, { max: 5, as: 'bytes' });
    expect((await bytes.next()).value).toEqual(new Uint8Array([0, 13, 10, 45, 45, 255]));
    expect((await bytes.next()).value).toEqual(new Uint8Array(Buffer.from(`\r\n--${BOUNDARY}--\r\n`)));
    await bytes.return();

    // One poll per batch; and in an at-most-once registration (no receipts) nothing to acknowledge.
    expect(fake.requests.map(({ method, endpoint, max, ack }) => ({ method, endpoint, max, ack }))).toEqual([
      { method: 'GET', endpoint: 'text', max: 10, ack: [] },
      { method: 'GET', endpoint: 'json', max: 2, ack: [] },
      { method: 'GET', endpoint: 'bytes', max: 5, ack: [] },
    ]);
  });

  it('stops with a SyntaxError on a batch that does not follow the layout', async () => {
    await start();
    fake.override = () => ({
      status: 200,
      headers: { 'Content-Type': `multipart/mixed; boundary=${BOUNDARY}` },
      body: `--${BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nno length\r\n--${BOUNDARY}--\r\n`,
    });
    await expect(messages(`${fake.url}/broken`, { max: 10 }).next()).rejects.toThrow(SyntaxError);
  });

  it('acknowledges each message on the next poll, and not again after a 504', async () => {
    await start({ timeout: 50 });
    fake.publish('one', 'a');
    fake.publish('one', 'b');
    const abort = new AbortController();
    const loop = messages(`${fake.url}/one`, { signal: abort.signal });
    expect((await loop.next()).value).toBe('a');
    expect((await loop.next()).value).toBe('b');
    const waiting = loop.next();
    await until(() => fake.requests.length >= 4);
    abort.abort();
    await waiting;
    expect(fake.requests.slice(0, 3).map(({ ack, status }) => ({ ack, status }))).toEqual([
      { ack: [], status: 200 },
      { ack: [receipt(1)], status: 200 },
      { ack: [receipt(2)], status: 504 },
    ]);
    expect(fake.requests.slice(3).map((request) => request.ack)).toEqual(fake.requests.slice(3).map(() => []));
    expect(fake.acknowledged).toEqual([receipt(1), receipt(2)]);
  });

  it('acknowledges a consumed batch at once, on the next poll, which asks for a batch again', async () => {
    await start();
    for (const message of ['a', 'b', 'c']) {
      fake.publish('batch', message);
    }
    const loop = messages(`${fake.url}/batch`, { max: 10 });
    const received = [(await loop.next()).value, (await loop.next()).value, (await loop.next()).value];
    const next = loop.next();
    await until(() => fake.requests.length === 2);
    fake.publish('batch', 'd');
    received.push((await next).value);
    expect(received).toEqual(['a', 'b', 'c', 'd']);
    const acknowledging = [1, 2, 3].map(receipt);
    expect(fake.requests[1]).toMatchObject({ max: 10, ack: acknowledging, search: `?max=10&ack=${acknowledging.join(',')}` });

    await loop.return();
    expect(fake.acknowledged).toEqual([1, 2, 3, 4].map(receipt));
    expect(fake.sent('DELETE').map((request) => request.receipt)).toEqual([receipt(4)]);
  });

  it('DELETEs what it consumed when the for-await loop is left, with the endpoint’s own query and the headers', async () => {
    await start();
    for (const message of ['x', 'y', 'z']) {
      fake.publish('left', message);
    }
    const headers = () => ({ Authorization: 'Bearer t' });
    for await (const message of messages(`${fake.url}/left?token=t`, { max: 10, headers })) {
      if (message === 'y') break;
    }
    // Leaving the loop waits for the DELETEs: nothing to wait for here.
    expect(fake.acknowledged.sort()).toEqual([receipt(1), receipt(2)]);
    const deletes = byReceipt(fake.sent('DELETE')).map(({ receipt, search, authorization }) => ({
      receipt,
      search,
      authorization,
    }));
    expect(deletes).toEqual([
      { receipt: receipt(1), search: '?token=t', authorization: 'Bearer t' },
      { receipt: receipt(2), search: '?token=t', authorization: 'Bearer t' },
    ]);
  });

  it.each(['close()', 'its signal'])('DELETEs the acknowledgements not sent yet when subscribe ends by %s, before done', async (
    how,
  ) => {
    await start();
    for (const message of ['a', 'b', 'c']) {
      fake.publish('feed', message);
    }
    const abort = new AbortController();
    const received: string[] = [];
    const subscription = subscribe(`${fake.url}/feed`, {
      max: 10,
      signal: abort.signal,
      onMessage: (message) => {
        received.push(message);
        if (message === 'b') {
          how === 'close()' ? subscription.close() : abort.abort();
        }
      },
    });
    await subscription.done;
    expect(received).toEqual(['a', 'b']);
    expect(fake.acknowledged.sort()).toEqual([receipt(1), receipt(2)]);
    expect(fake.sent('GET').map((request) => request.ack)).toEqual([[]]);
  });

  const boom = () => {
    throw new Error('boom');
  };
  it.each([
    ['throws', boom],
    ['rejects', async () => boom()],
  ])('leaves unacknowledged the message whose onMessage %s, ends through onError, DELETEs the ones before', async (_, fail) => {
    await start();
    for (const message of ['a', 'b', 'c']) {
      fake.publish('failing', message);
    }
    const errors: unknown[] = [];
    await subscribe(`${fake.url}/failing`, {
      max: 10,
      onMessage: (message) => (message === 'b' ? fail() : undefined),
      onError: (error) => errors.push(error),
    }).done;
    expect(errors).toEqual([new Error('boom')]);
    expect(fake.acknowledged).toEqual([receipt(1)]);
    expect(fake.sent('DELETE').map((request) => request.receipt)).toEqual([receipt(1)]);
  });

  it('leaves unacknowledged the message thrown back into the iterator (throw()), and DELETEs the ones before', async () => {
    await start();
    for (const message of ['a', 'b', 'c']) {
      fake.publish('thrown', message);
    }
    const loop = messages(`${fake.url}/thrown`, { max: 10 });
    expect([(await loop.next()).value, (await loop.next()).value]).toEqual(['a', 'b']);
    await expect(loop.throw(new Error('cannot handle it'))).rejects.toThrow('cannot handle it');
    expect(await loop.next()).toEqual({ done: true, value: undefined });
    expect(fake.acknowledged).toEqual([receipt(1)]);
    expect(fake.sent('GET')).toHaveLength(1);
  });

  it('drops the one receipt of a poll refused with a 409, and polls again without it', async () => {
    await start();
    fake.publish('stale', 'a');
    fake.publish('stale', 'b');
    const loop = messages(`${fake.url}/stale`);
    expect((await loop.next()).value).toBe('a');
    fake.expire(receipt(1));
    expect((await loop.next()).value).toBe('b');
    expect(fake.requests.map(({ ack, status }) => ({ ack, status }))).toEqual([
      { ack: [], status: 200 },
      { ack: [receipt(1)], status: 409 },
      { ack: [], status: 200 },
    ]);
    await loop.return();
    expect(fake.acknowledged).toEqual([receipt(2)]);
  });

  it('sends each receipt of a poll refused with a 409 as a DELETE of its own, then polls again without them', async () => {
    await start();
    for (const message of ['a', 'b', 'c']) {
      fake.publish('stale', message);
    }
    const abort = new AbortController();
    const loop = messages(`${fake.url}/stale`, { max: 10, signal: abort.signal });
    for (let i = 0; i < 3; i++) {
      await loop.next();
    }
    fake.expire(receipt(2));
    const next = loop.next();
    await until(() => fake.sent('GET').length === 3);
    expect(fake.requests[1]).toMatchObject({ method: 'GET', ack: [1, 2, 3].map(receipt), status: 409 });
    expect(byReceipt(fake.sent('DELETE')).map(({ receipt, status }) => ({ receipt, status }))).toEqual([
      { receipt: receipt(1), status: 204 },
      { receipt: receipt(2), status: 409 },
      { receipt: receipt(3), status: 204 },
    ]);
    expect(fake.sent('GET')[2].ack).toEqual([]);
    expect(fake.acknowledged.sort()).toEqual([receipt(1), receipt(3)]);
    abort.abort();
    await next;
  });

  it('ends at once when aborted with acknowledgements on their way: no retry, no wait, and DELETEs them', async () => {
    await start();
    fake.publish('aborted', 'a');
    const abort = new AbortController();
    const waits: number[] = [];
    const loop = messages(`${fake.url}/aborted`, {
      signal: abort.signal,
      sleep: async (ms) => void waits.push(ms),
      onRetry: (_, ms) => waits.push(ms),
    });
    await loop.next();
    const next = loop.next();
    await until(() => fake.requests.length === 2);
    abort.abort();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(waits).toEqual([]);
    // Whether the aborted poll's acknowledgement went through is unknown: a DELETE makes sure (or is refused).
    expect(fake.acknowledged).toEqual([receipt(1)]);
    expect(fake.sent('DELETE').map((request) => request.receipt)).toEqual([receipt(1)]);
  });

  it.each([503, 500])('keeps the acknowledgements of a poll answered %i and sends them with the next one', async (status) => {
    await start();
    fake.publish('busy', 'a');
    fake.publish('busy', 'b');
    let refused = false;
    fake.override = (request) =>
      request.ack.length > 0 && !refused ? ((refused = true), { status, headers: { 'Retry-After': '0' } }) : undefined;
    const loop = messages(`${fake.url}/busy`, { sleep: async () => undefined });
    expect((await loop.next()).value).toBe('a');
    expect((await loop.next()).value).toBe('b');
    expect(fake.requests.map(({ ack, status }) => ({ ack, status }))).toEqual([
      { ack: [], status: 200 },
      { ack: [receipt(1)], status },
      { ack: [receipt(1)], status: 200 },
    ]);
    await loop.return();
    expect(fake.acknowledged).toEqual([receipt(1), receipt(2)]);
  });
});
