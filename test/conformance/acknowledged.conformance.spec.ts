import { afterEach, describe, expect, it } from '@jest/globals';
import { PistachioAcknowledgedQueue, ReceiptRefusedError } from '../../lib/index.js';
import { backendSetups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { HoldInterceptor } from '../support/hold.interceptor.js';
import { leavingPoll, request } from '../support/http-client.js';
import { LogCapture } from '../support/log-capture.js';
import { parseMultipart } from '../support/multipart.js';
import { AppGlobals, startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

/** A receipt as the route hands them out: opaque and URL-safe. */
const RECEIPT = /^[A-Za-z0-9_.~-]+$/;

describe.each(backendSetups)('Acknowledged delivery on $name', ({ broker, adapter }) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  const start = (options: Partial<TestOptions> = {}, globals: AppGlobals = {}) =>
    startPistachio(
      { namespace: freshNamespace(), path: '/messages', delivery: 'at-least-once', ...broker.options(), ...options },
      { adapter, ...globals },
    ).then((started) => (app = started));
  const poll = (endpoint: string, query = '') => request(`${app.url}/messages/${endpoint}${query}`);
  const remove = (endpoint: string, receipt: string) =>
    request(`${app.url}/messages/${endpoint}/${receipt}`, { method: 'DELETE' });
  /** Waits until `count` unacknowledged messages are back in the queue: their visibility timeout passed. */
  const cameBack = (endpoint: string, count: number) =>
    until(async () => (await app.pistachio.length(endpoint)) === count);

  it('answers with a receipt and a delivery count, and a DELETE acknowledges the message for good', async () => {
    await start({ visibilityTimeout: 300 });
    await app.pistachio.publish('jobs', 'done');
    const answer = await poll('jobs');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('done');
    expect(answer.headers['pistachio-receipt']).toMatch(RECEIPT);
    expect(answer.headers['pistachio-delivery-count']).toBe('1');

    expect((await remove('jobs', String(answer.headers['pistachio-receipt']))).status).toBe(204);
    // A marker delivered after the acknowledgement and left unacknowledged comes back; the acknowledged one never does.
    await app.pistachio.publish('jobs', 'marker');
    expect((await poll('jobs')).body).toBe('marker');
    await cameBack('jobs', 1);
    const again = await poll('jobs');
    expect([again.body, again.headers['pistachio-delivery-count']]).toEqual(['marker', '2']);
    expect(await app.pistachio.length('jobs')).toBe(0);
  });

  it('acknowledges with ?ack= and then polls as usual, and refuses a second acknowledgement with a 409', async () => {
    await start();
    await app.pistachio.publish('loop', 'first');
    await app.pistachio.publish('loop', 'second');
    const first = await poll('loop');
    const receipt = String(first.headers['pistachio-receipt']);

    const second = await poll('loop', `?ack=${receipt}`);
    expect([second.status, second.body]).toEqual([200, 'second']);
    const twice = await remove('loop', receipt);
    expect(twice.status).toBe(409);
    expect(twice.body).toContain('unknown or was already acknowledged');
    expect((await remove('loop', String(second.headers['pistachio-receipt']))).status).toBe(204);
  });

  it('refuses an unknown or malformed receipt before anything is popped', async () => {
    await start();
    await app.pistachio.publish('kept', 'still here');

    const unknown = await poll('kept', '?ack=12345.AAAAAAAAAAAAAAAA');
    expect(unknown.status).toBe(409);
    expect(unknown.body).toContain('12345.AAAAAAAAAAAAAAAA is unknown');
    expect((await poll('kept', '?ack=not-a-receipt')).status).toBe(400);
    expect((await poll('kept', '?ack=')).status).toBe(400);
    expect((await remove('kept', 'not-a-receipt')).status).toBe(400);
    expect(await app.pistachio.length('kept')).toBe(1);
  });

  it('refuses an expired receipt, before and after the message was delivered again, and never for the new delivery', async () => {
    await start({ visibilityTimeout: 300 });
    await app.pistachio.publish('slow', 'work');
    const first = await poll('slow');
    const stale = String(first.headers['pistachio-receipt']);
    await cameBack('slow', 1);

    const expired = await remove('slow', stale);
    expect(expired.status).toBe(409);
    expect(expired.body).toContain('expired');
    const second = await poll('slow');
    expect([second.body, second.headers['pistachio-delivery-count']]).toEqual(['work', '2']);
    expect(second.headers['pistachio-receipt']).not.toBe(stale);
    expect((await remove('slow', stale)).status).toBe(409);
    expect((await remove('slow', String(second.headers['pistachio-receipt']))).status).toBe(204);
  });

  it('delivers an unacknowledged message again after the visibility timeout, ahead of newer messages', async () => {
    await start({ visibilityTimeout: 300 });
    await app.pistachio.publish('order', 'a');
    await app.pistachio.publish('order', 'b');
    expect((await poll('order')).body).toBe('a');
    await app.pistachio.publish('order', 'c');
    await cameBack('order', 3);

    const answers = [await poll('order'), await poll('order'), await poll('order')];
    expect(answers.map((answer) => [answer.body, answer.headers['pistachio-delivery-count']])).toEqual([
      ['a', '2'],
      ['b', '1'],
      ['c', '1'],
    ]);
  });

  it('wakes a waiting poll with a message that came back', async () => {
    await start({ visibilityTimeout: 300 });
    await app.pistachio.publish('waiting', 'again');
    expect((await poll('waiting')).body).toBe('again');

    const answer = await poll('waiting', '?timeout=10000');
    expect([answer.status, answer.body, answer.headers['pistachio-delivery-count']]).toEqual([200, 'again', '2']);
  });

  it('moves a message to the dead letters after maxDeliveries, logs it, and reads, counts, requeues and purges them', async () => {
    const logs = new LogCapture();
    await start({ visibilityTimeout: 300, maxDeliveries: 1 }, { logger: logs });
    const { deadLetters } = app.pistachio;
    const dieTwice = async () => {
      const batch = parseMultipart(await poll('doomed', '?max=2'));
      expect(batch.map((part) => part.body.toString())).toEqual(['d1', 'd2']);
      // Redis moves them when it next claims on the endpoint, memory when their time is up.
      await until(async () => (await deadLetters.count('doomed')) === 2 || (await app.pistachio.length('doomed')) === 2);
      expect((await poll('doomed', '?timeout=1000')).status).toBe(504);
    };
    await app.pistachio.publish('doomed', 'd1');
    await app.pistachio.publish('doomed', 'd2');
    await dieTwice();

    expect(await deadLetters.count('doomed')).toBe(2);
    expect((await deadLetters.read('doomed')).map(String)).toEqual(['d1', 'd2']);
    expect((await deadLetters.read('doomed', { offset: 1, limit: 1 })).map(String)).toEqual(['d2']);
    // Memory moves each message when its own time is up, Redis both in one claim.
    const moved = logs.lines.map(({ message }) => /^(\d+) messages? of ".*:doomed" went unacknowledged through 1 deliveries/.exec(message));
    expect(moved.reduce((sum, match) => sum + Number(match?.[1] ?? 0), 0)).toBe(2);
    expect(await deadLetters.requeue('doomed')).toBe(2);
    expect(await deadLetters.count('doomed')).toBe(0);

    await dieTwice();
    expect(await deadLetters.purge('doomed')).toBe(2);
    expect(await deadLetters.count('doomed')).toBe(0);
  });

  it('gives a released delivery back at once, ahead of newer messages, and refuses its receipt afterwards', async () => {
    await start();
    await app.pistachio.publish('back', 'retry me');
    await app.pistachio.publish('back', 'newer');
    const delivery = await app.queue.receiveDelivery('back');
    await app.queue.release('back', delivery!.receipt!);

    const again = await app.queue.receiveDelivery('back');
    expect([String(again?.message), again?.deliveryCount]).toEqual(['retry me', 2]);
    await expect(app.queue.ack('back', delivery!.receipt!)).rejects.toThrow(ReceiptRefusedError);
    await app.queue.ack('back', again!.receipt!);
    expect(String(await app.queue.receive('back'))).toBe('newer');
  });

  it('acknowledges all receipts of one call or none', async () => {
    await start();
    await app.pistachio.publish('all', 'x');
    await app.pistachio.publish('all', 'y');
    const [x, y] = await app.queue.receiveDeliveries('all', { max: 2 });
    const refusal = app.queue.ack('all', [x.receipt!, '7.AAAAAAAAAAAAAAAA', y.receipt!]);
    await expect(refusal).rejects.toMatchObject({ refusals: [{ receipt: '7.AAAAAAAAAAAAAAAA', reason: 'unknown' }] });

    await app.queue.ack('all', [x.receipt!, y.receipt!]);
  });

  it('keeps a batch whose client left claimed, to deliver it again after the visibility timeout', async () => {
    const hold = new HoldInterceptor('left');
    await start({ visibilityTimeout: 2_000 }, { interceptors: [hold] });
    await app.pistachio.publish('left', 'p1');
    await app.pistachio.publish('left', 'p2');
    const client = leavingPoll(`${app.url}/messages/left?max=5`);
    await hold.holding;
    client.leave();
    expect(await client.answer).toBeNull();
    hold.letGo();

    expect(await app.queue.receiveDeliveries('left', { max: 5, timeout: 1_000 })).toEqual([]);
    await cameBack('left', 2);
    const back = await app.queue.receiveDeliveries('left', { max: 5 });
    expect(back.map(({ message, deliveryCount }) => [String(message), deliveryCount])).toEqual([
      ['p1', 2],
      ['p2', 2],
    ]);
  });

  it('acknowledges a message that receive() returns', async () => {
    await start({ visibilityTimeout: 300 });
    await app.pistachio.publish('plain', 'taken');
    expect(String(await app.queue.receive('plain'))).toBe('taken');
    await app.pistachio.publish('plain', 'marker');
    await app.queue.receiveDelivery('plain');
    await cameBack('plain', 1);
    expect(String((await app.queue.receiveDelivery('plain'))?.message)).toBe('marker');
  });

  it('answers 405 with Allow: DELETE, PATCH to other methods on a receipt', async () => {
    await start();
    const answer = await request(`${app.url}/messages/e/1.AAAAAAAAAAAAAAAA`);
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('DELETE, PATCH');
  });
});

describe.each(backendSetups)('Acknowledgements at most once on $name', ({ broker, adapter }) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  it('refuses ?ack= with a 400 and has no DELETE route nor acknowledged queue; the deprecated forwards say what the option is', async () => {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options() }, { adapter });
    await app.pistachio.publish('e', 'kept');

    const ack = await request(`${app.url}/messages/e?ack=1.AAAAAAAAAAAAAAAA`);
    expect(ack.status).toBe(400);
    expect(ack.body).toContain("delivery: 'at-least-once'");
    expect((await request(`${app.url}/messages/e/1.AAAAAAAAAAAAAAAA`, { method: 'DELETE' })).status).toBe(404);
    expect(app.queue).not.toBeInstanceOf(PistachioAcknowledgedQueue);
    expect(() => app.app.get(PistachioAcknowledgedQueue)).toThrow(/PistachioAcknowledgedQueue/);
    await expect(app.pistachio.ack('e', '1.AAAAAAAAAAAAAAAA')).rejects.toThrow("delivery: 'at-least-once'");
    await expect(app.pistachio.deadLetters.count('e')).rejects.toThrow("delivery: 'at-least-once'");
    expect(await app.pistachio.length('e')).toBe(1);
  });
});
