import { afterEach, describe, expect, it } from '@jest/globals';
import { messages, subscribe } from '../../lib/client/index.js';
import { adapters } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(adapters)('The reference client against an at-least-once registration on $name', (adapter) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  // Unacknowledged messages come back after 1 s: a receive that waits 2.5 s sees any the client failed to acknowledge.
  const start = async () => {
    app = await startPistachio(
      { namespace: freshNamespace(), path: '/messages', delivery: 'at-least-once', visibilityTimeout: 1_000 },
      { adapter },
    );
  };

  it('acknowledges what subscribe consumed: nothing comes back after the visibility timeout', async () => {
    await start();
    for (const message of ['one', 'two', 'three']) {
      await app.pistachio.publish('acked', message);
    }
    const received: string[] = [];
    const subscription = subscribe(`${app.url}/messages/acked`, { onMessage: (message) => void received.push(message) });
    await until(() => received.length === 3);
    subscription.close();
    await subscription.done;

    expect(received).toEqual(['one', 'two', 'three']);
    expect(await app.pistachio.receiveDelivery('acked', { timeout: 2_500 })).toBeNull();
  });

  it('leaves unacknowledged the message whose onMessage throws: it comes back, delivered twice', async () => {
    await start();
    await app.pistachio.publish('failing', 'fine');
    await app.pistachio.publish('failing', 'poison');
    const errors: unknown[] = [];
    await subscribe(`${app.url}/messages/failing`, {
      onMessage: (message) => {
        if (message === 'poison') throw new Error('cannot handle it');
      },
      onError: (error) => errors.push(error),
    }).done;

    expect(errors).toEqual([new Error('cannot handle it')]);
    const again = await app.pistachio.receiveDelivery('failing', { timeout: 2_500 });
    expect(again).toMatchObject({ deliveryCount: 2 });
    expect(again?.message.toString()).toBe('poison');
  });

  it('keeps a message claimed while onMessage runs past the visibility timeout: it is not delivered again', async () => {
    await start();
    await app.pistachio.publish('slow', 'job');
    let extended = 0;
    const countingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === 'PATCH' && response.status === 204) {
        extended++;
      }
      return response;
    };
    const received: string[] = [];
    const subscription = subscribe(`${app.url}/messages/slow`, {
      fetch: countingFetch,
      // Three extensions, every half second: the handler outlives the 1 s visibility timeout by half.
      onMessage: async (message) => {
        received.push(message);
        await until(() => extended >= 3, 10_000);
      },
    });
    await until(() => extended >= 3, 10_000);
    await app.pistachio.publish('slow', 'next');
    await until(() => received.length === 2);
    subscription.close();
    await subscription.done;

    expect(received).toEqual(['job', 'next']);
    expect(await app.pistachio.receiveDelivery('slow', { timeout: 2_500 })).toBeNull();
  });

  it('receives 25 messages in batches of up to 10, complete and in order', async () => {
    await start();
    const published = Array.from({ length: 25 }, (_, i) => `message ${i}`);
    for (const message of published) {
      await app.pistachio.publish('batched', message);
    }
    const received: string[] = [];
    let polls = 0;
    for await (const message of messages(`${app.url}/messages/batched`, { max: 10 })) {
      received.push(message);
      if (received.length === published.length) {
        polls = app.arrivals.count('batched');
        break;
      }
    }

    expect(received).toEqual(published);
    expect(polls).toBe(3);
  });
});
