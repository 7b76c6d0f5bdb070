import { afterEach, describe, expect, it } from '@jest/globals';
import { QueueFullError } from '../../lib/index.js';
import { brokers, freshNamespace } from '../support/brokers.js';
import { startPistachio, TestApp, TestOptions } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(brokers)('Queue bounds on the $name broker', (broker) => {
  let app: TestApp;

  async function start(options: Partial<TestOptions>): Promise<TestApp> {
    app = await startPistachio({ namespace: freshNamespace(), ...broker.options(), ...options });
    return app;
  }
  afterEach(() => app.app.close());

  async function drain(endpoint: string): Promise<string[]> {
    const messages: string[] = [];
    for (let n = await app.pistachio.length(endpoint); n > 0; n--) {
      messages.push(String(await app.queue.receive(endpoint)));
    }
    return messages;
  }

  it('refuses a publish to a full queue with QueueFullError by default, keeping what it holds', async () => {
    const { pistachio } = await start({ maxQueueLength: 3 });
    for (const message of ['m1', 'm2', 'm3']) {
      await pistachio.publish('full', message);
    }

    await expect(pistachio.publish('full', 'm4')).rejects.toThrow(QueueFullError);
    expect(await drain('full')).toEqual(['m1', 'm2', 'm3']);
  });

  it("drops the oldest message to make room with overflow: 'drop-oldest'", async () => {
    const { pistachio } = await start({ maxQueueLength: 3, overflow: 'drop-oldest' });
    for (const message of ['m1', 'm2', 'm3', 'm4', 'm5']) {
      await pistachio.publish('rolling', message);
    }

    expect(await drain('rolling')).toEqual(['m3', 'm4', 'm5']);
  });

  it('takes back a requeued message even into a full queue: nothing received is dropped', async () => {
    const { pistachio } = await start({ maxQueueLength: 2 });
    await pistachio.publish('back', 'm1');
    await pistachio.publish('back', 'm2');
    const received = await pistachio.receive('back');
    await pistachio.publish('back', 'm3');
    await pistachio.requeue('back', received!);

    expect(await drain('back')).toEqual(['m1', 'm2', 'm3']);
  });

  it('deletes a queue that nobody empties messageTtl after its latest publish', async () => {
    const { pistachio } = await start({ messageTtl: 200 });
    await pistachio.publish('abandoned', 'm1');
    await pistachio.publish('abandoned', 'm2');
    expect(await pistachio.length('abandoned')).toBe(2);

    await until(async () => (await pistachio.length('abandoned')) === 0);
    await pistachio.publish('abandoned', 'fresh');
    expect(await drain('abandoned')).toEqual(['fresh']);
  });
});
