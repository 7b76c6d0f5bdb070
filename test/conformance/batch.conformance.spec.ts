import { afterEach, describe, expect, it } from '@jest/globals';
import { DeliveryMode } from '../../lib/index.js';
import { backendSetups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { HoldInterceptor } from '../support/hold.interceptor.js';
import { leavingPoll, request } from '../support/http-client.js';
import { parseMultipart } from '../support/multipart.js';
import { AppGlobals, startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

const modes: DeliveryMode[] = ['at-most-once', 'at-least-once'];
const matrix = backendSetups.flatMap((setup) => modes.map((delivery) => ({ ...setup, delivery })));

describe.each(matrix)('Batch polls on $name, $delivery', ({ broker, adapter, delivery }) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  const start = (options: Partial<TestOptions> = {}, globals: AppGlobals = {}) =>
    startPistachio(
      { namespace: freshNamespace(), path: '/messages', delivery, ...broker.options(), ...options },
      { adapter, ...globals },
    ).then((started) => (app = started));
  const poll = (query: string) => request(`${app.url}/messages/batch${query}`);

  it('answers exactly the queued messages up to N, in order, one part each with its type', async () => {
    await start({ contentType: 'application/json' });
    for (let i = 1; i <= 7; i++) {
      await app.pistachio.publish('batch', { i });
    }

    const first = parseMultipart(await poll('?max=5'));
    const second = parseMultipart(await poll('?max=5'));
    expect(first.map((part) => String(part.body))).toEqual([1, 2, 3, 4, 5].map((i) => `{"i":${i}}`));
    expect(second.map((part) => String(part.body))).toEqual(['{"i":6}', '{"i":7}']);
    expect([...first, ...second].every((part) => part.headers['content-type'] === 'application/json')).toBe(true);
    const receipts = [...first, ...second].map((part) => part.headers['pistachio-receipt']);
    if (delivery === 'at-least-once') {
      expect([...first, ...second].map((part) => part.headers['pistachio-delivery-count'])).toEqual(Array(7).fill('1'));
      expect((await poll(`?ack=${receipts.join(',')}&timeout=1000`)).status).toBe(504);
    } else {
      expect(receipts).toEqual(Array(7).fill(undefined));
    }
    expect(await app.pistachio.length('batch')).toBe(0);
  });

  it('waits for the first message like any poll', async () => {
    await start();
    const waiting = poll('?max=10');
    await app.arrivals.reached('batch');
    await app.pistachio.publish('batch', 'late');

    const answer = await waiting;
    expect(answer.headers['content-type']).toMatch(/^multipart\/mixed; boundary=/);
    expect(parseMultipart(answer).map((part) => String(part.body))).toEqual(['late']);
  });

  it('keeps any bytes intact in a part, delimiters and line breaks included', async () => {
    await start();
    const tricky = [Buffer.from('line\r\n--not-a-boundary\r\n\r\nend'), Buffer.from([0, 13, 10, 45, 45, 255])];
    for (const message of tricky) {
      await app.pistachio.publish('batch', message);
    }
    expect(parseMultipart(await poll('?max=2')).map((part) => part.body)).toEqual(tricky);
  });

  it('refuses a max outside 1..maxBatch with a 400, before anything is popped', async () => {
    await start({ maxBatch: 3 });
    await app.pistachio.publish('batch', 'kept');
    for (const max of ['0', '4', 'two', '1.5', '']) {
      const answer = await poll(`?max=${max}`);
      expect([max, answer.status]).toEqual([max, 400]);
      expect(answer.body).toContain('max must be a whole number from 1 to 3');
    }
    expect(await app.pistachio.length('batch')).toBe(1);
  });

  it(
    delivery === 'at-most-once'
      ? 'gives a batch whose client left back to the head of the queue, in order'
      : 'keeps a batch whose client left claimed',
    async () => {
      const hold = new HoldInterceptor('batch');
      await start(delivery === 'at-least-once' ? { visibilityTimeout: 60_000 } : {}, { interceptors: [hold] });
      for (const message of ['b1', 'b2', 'b3']) {
        await app.pistachio.publish('batch', message);
      }
      const client = leavingPoll(`${app.url}/messages/batch?max=2`);
      await hold.holding;
      client.leave();
      expect(await client.answer).toBeNull();
      hold.letGo();

      if (delivery === 'at-most-once') {
        await until(async () => (await app.pistachio.length('batch')) === 3);
        const again = await app.queue.receiveDeliveries('batch', { max: 5 });
        expect(again.map(({ message }) => String(message))).toEqual(['b1', 'b2', 'b3']);
      } else {
        const rest = await app.queue.receiveDeliveries('batch', { max: 5 });
        expect(rest.map(({ message }) => String(message))).toEqual(['b3']);
        expect(await app.pistachio.length('batch')).toBe(0);
      }
    },
  );
});
