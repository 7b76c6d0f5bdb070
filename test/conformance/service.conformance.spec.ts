import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { InvalidEndpointError, InvalidMessageError, InvalidOptionsError, PistachioService } from '../../lib/index.js';
import { brokers, freshNamespace } from '../support/brokers.js';
import { startPistachio, TestApp } from '../support/start-app.js';

describe.each(brokers)('PistachioService on the $name broker', (broker) => {
  let app: TestApp;
  let pistachio: PistachioService;

  beforeEach(async () => {
    app = await startPistachio({ namespace: freshNamespace(), timeout: 10_000, ...broker.options() });
    pistachio = app.pistachio;
  });
  afterEach(() => app.app.close());

  it('stores a string as UTF-8, a Buffer as is and other values as JSON', async () => {
    const bytes = Buffer.from([0, 1, 0xfe, 0xff]);
    await pistachio.publish('kinds', 'héllo ✓');
    await pistachio.publish('kinds', bytes);
    await pistachio.publish('kinds', { id: 1, tags: ['a'] });
    await pistachio.publish('kinds', 42);

    expect((await app.queue.receive('kinds'))?.toString('utf8')).toBe('héllo ✓');
    expect(await app.queue.receive('kinds')).toEqual(bytes);
    expect((await app.queue.receive('kinds'))?.toString()).toBe('{"id":1,"tags":["a"]}');
    expect((await app.queue.receive('kinds'))?.toString()).toBe('42');
  });

  it('keeps each endpoint a FIFO queue of its own', async () => {
    for (const message of ['a1', 'a2', 'a3']) {
      await pistachio.publish('a', message);
    }
    await pistachio.publish('b', 'b1');

    expect(await pistachio.length('a')).toBe(3);
    expect(await pistachio.length('b')).toBe(1);
    const received = [await app.queue.receive('a'), await app.queue.receive('a'), await app.queue.receive('a')];
    expect(received.map(String)).toEqual(['a1', 'a2', 'a3']);
    expect(await pistachio.length('a')).toBe(0);
    expect(String(await app.queue.receive('b'))).toBe('b1');
  });

  it('serves waiting receivers in the order they came, one message each', async () => {
    const receivers = [1, 2, 3].map(() => app.queue.receive('line'));
    for (const message of ['first', 'second', 'third']) {
      await pistachio.publish('line', message);
    }
    expect((await Promise.all(receivers)).map(String)).toEqual(['first', 'second', 'third']);
    expect(await pistachio.length('line')).toBe(0);
  });

  it('resolves null at the timeout and leaves no waiter behind', async () => {
    expect(await app.queue.receive('idle', { timeout: 50 })).toBeNull();

    await pistachio.publish('idle', 'later');
    expect(await pistachio.length('idle')).toBe(1);
  });

  it('rejects with the abort reason when the signal aborts, and consumes nothing afterwards', async () => {
    const abort = new AbortController();
    const receiving = app.queue.receive('aborted', { signal: abort.signal });
    const reason = new Error('gone');
    abort.abort(reason);
    await expect(receiving).rejects.toBe(reason);

    await pistachio.publish('aborted', 'kept');
    expect(await pistachio.length('aborted')).toBe(1);
  });

  it('rejects an already aborted receive without consuming the queued message', async () => {
    await pistachio.publish('queued', 'kept');
    await expect(app.queue.receive('queued', { signal: AbortSignal.abort() })).rejects.toHaveProperty(
      'name',
      'AbortError',
    );
    expect(await pistachio.length('queued')).toBe(1);
  });

  it('gives a requeued message to the head of the queue', async () => {
    await pistachio.publish('again', 'm1');
    await pistachio.publish('again', 'm2');
    const first = await app.queue.receive('again');
    await app.queue.requeue('again', first!);

    expect(String(await app.queue.receive('again'))).toBe('m1');
    expect(String(await app.queue.receive('again'))).toBe('m2');
  });

  it('gives a requeued message to a waiting receiver first', async () => {
    const waiting = app.queue.receive('handover');
    await app.queue.requeue('handover', Buffer.from('returned'));
    expect(String(await waiting)).toBe('returned');
    expect(await pistachio.length('handover')).toBe(0);
  });

  it('refuses invalid endpoint names, messages and timeouts with named errors, storing nothing', async () => {
    await expect(pistachio.publish('a/b', 'x')).rejects.toThrow(InvalidEndpointError);
    await expect(pistachio.publish('..', 'x')).rejects.toThrow(InvalidEndpointError);
    await expect(app.queue.receive('x'.repeat(129))).rejects.toThrow(InvalidEndpointError);
    await expect(pistachio.length('#internal')).rejects.toThrow(InvalidEndpointError);
    await expect(pistachio.publish('ok', undefined)).rejects.toThrow(InvalidMessageError);
    await expect(pistachio.publish('ok', { big: 1n })).rejects.toThrow(InvalidMessageError);
    await expect(app.queue.receive('ok', { timeout: 0 })).rejects.toThrow(InvalidOptionsError);
    expect(await pistachio.length('ok')).toBe(0);
  });
});
