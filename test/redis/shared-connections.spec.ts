import { afterEach, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { getPistachioToken, PistachioModule, PistachioService } from '../../lib/index.js';
import { freshNamespace, redisUrl } from '../support/brokers.js';
import { connectionsOf } from '../support/client-list.js';
import { startApp, startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';

describe('The connections of an app to one Redis', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
  });

  it('are shared by every registration on it: two connections for queues of both modes and channels', async () => {
    const [queues, acknowledged, channels] = [freshNamespace(), freshNamespace(), freshNamespace()];
    const client = new Redis(redisUrl());
    try {
      app = await startApp([
        PistachioModule.forRoot({ namespace: queues, path: '/queues', redis: redisUrl() }),
        PistachioModule.forRoot({ name: 'acknowledged', namespace: acknowledged, path: '/acknowledged', redis: redisUrl(), delivery: 'at-least-once' }),
        PistachioModule.forRoot({ name: 'channels', namespace: channels, path: '/channels', redis: redisUrl(), mode: 'broadcast' }),
        // The app's own client is another deployment as far as the module knows: its connections are apart.
        PistachioModule.forRoot({ name: 'own', namespace: freshNamespace(), path: '/own', redis: client }),
      ]);
      // Named after the registration that opened them.
      expect((await connectionsOf(queues)).map(({ name }) => name).sort()).toEqual([
        `pistachio:${queues}:commands`,
        `pistachio:${queues}:wake`,
      ]);
      expect(await connectionsOf(acknowledged)).toEqual([]);
      expect(await connectionsOf(channels)).toEqual([]);

      const registrations = ['acknowledged', 'channels', 'own'].map((name) => app!.app.get<PistachioService>(getPistachioToken(name)));
      for (const [i, pistachio] of [app.pistachio, ...registrations].entries()) {
        // The channel's read starts after its (empty) beginning: a publish that comes before it waits cannot be missed.
        const reading = i === 2 ? pistachio.read('e', { after: '0-0', timeout: 5_000 }) : pistachio.receive('e', { timeout: 5_000 });
        await until(() => pistachio.stats().pollsWaiting === 1);
        await pistachio.publish('e', `to ${i}`);
        const read = await reading;
        expect(String('messages' in (read as object) ? (read as { messages: { message: Buffer }[] }).messages[0].message : read)).toBe(`to ${i}`);
      }

      await app.app.close();
      app = undefined;
      await until(async () => (await connectionsOf(queues)).length === 0);
      expect(client.status).toBe('ready');
    } finally {
      client.disconnect();
    }
  }, 30_000);
});
