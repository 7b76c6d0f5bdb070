import { afterEach, describe, expect, it } from '@jest/globals';
import { Injectable, Module, Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  InjectPistachioChannel,
  InjectPistachioQueue,
  PistachioAcknowledgedQueue,
  PistachioChannel,
  PistachioModule,
  PistachioModuleOptions,
  PistachioQueue,
  PistachioService,
} from '../../lib/index.js';
import { adapters } from '../support/adapters.js';
import { request } from '../support/http-client.js';
import { LogCapture } from '../support/log-capture.js';
import { startApp, startPistachio, TestApp } from '../support/start-app.js';

describe.each(adapters)('The injectables of each mode on $name', (adapter) => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
  });

  it('injects named registrations\' queue and channel by name, the acknowledged queue under the queue\'s token', async () => {
    @Injectable()
    class Consumer {
      constructor(
        @InjectPistachioQueue('mail') readonly mail: PistachioQueue,
        @InjectPistachioQueue('jobs') readonly jobs: PistachioAcknowledgedQueue,
        @InjectPistachioChannel('feed') readonly feed: PistachioChannel,
      ) {}
    }
    @Module({
      imports: [
        PistachioModule.forRoot({ name: 'mail', namespace: 'mail', path: '/mail' }),
        PistachioModule.forRoot({ name: 'jobs', namespace: 'jobs', path: '/jobs', delivery: 'at-least-once' }),
        PistachioModule.forRoot({ name: 'feed', namespace: 'feed', path: '/feed', mode: 'broadcast' }),
      ],
      providers: [Consumer],
    })
    class FeatureModule {}
    app = await startApp([FeatureModule], { adapter });
    const { mail, jobs, feed } = app.app.get(Consumer);

    expect(mail).toBeInstanceOf(PistachioQueue);
    expect(mail).not.toBeInstanceOf(PistachioAcknowledgedQueue);
    expect(jobs).toBeInstanceOf(PistachioAcknowledgedQueue);
    expect(feed).toBeInstanceOf(PistachioChannel);
    const publish = (name: string, endpoint: string, message: string) =>
      app!.app.get<PistachioService>(`PistachioService:${name}`).publish(endpoint, message);
    await publish('jobs', 'e', 'a job');
    const delivery = await jobs.receiveDelivery('e', { timeout: 1_000 });
    expect(String(delivery?.message)).toBe('a job');
    await jobs.ack('e', delivery!.receipt!);
    await publish('feed', 'e', 'news');
    expect((await feed.read('e', { after: '0-0' })).messages.map(({ message }) => String(message))).toEqual(['news']);
  });

  it('gives an unnamed at-least-once registration\'s queue by either class, one instance', async () => {
    app = await startPistachio({ namespace: 'unnamed', path: '/messages', delivery: 'at-least-once' }, { adapter });

    expect(app.app.get(PistachioAcknowledgedQueue)).toBe(app.app.get(PistachioQueue));
    await app.pistachio.publish('e', 'kept');
    const receipt = (await app.app.get(PistachioAcknowledgedQueue).receiveDelivery('e'))!.receipt!;
    expect((await request(`${app.url}/messages/e/${receipt}`, { method: 'DELETE' })).status).toBe(204);
  });

  it.each<[string, PistachioModuleOptions, Type]>([
    ['a channel of a queue registration', { namespace: 'n' }, PistachioChannel],
    ['an acknowledged queue of an at-most-once registration', { namespace: 'n' }, PistachioAcknowledgedQueue],
    ['a queue of a broadcast registration', { namespace: 'n', mode: 'broadcast' }, PistachioQueue],
  ])('refuses at start-up, with Nest\'s own error, to inject %s', async (_, options, injectable) => {
    const consumer = { provide: 'consumer', useFactory: (injected: unknown) => injected, inject: [injectable] };
    @Module({ imports: [PistachioModule.forRoot(options)], providers: [consumer] })
    class FeatureModule {}

    await expect(Test.createTestingModule({ imports: [FeatureModule] }).compile()).rejects.toThrow(
      new RegExp(`Nest can't resolve dependencies of the consumer \\(\\?\\)[^]*${injectable.name}`),
    );
  });
});

describe('The deprecated methods of PistachioService', () => {
  let app: TestApp | undefined;
  afterEach(() => app?.app.close());

  it('forwards the moved methods of PistachioService, warning once per method', async () => {
    const logs = new LogCapture();
    app = await startPistachio({ namespace: 'forwards', path: '/messages' }, { logger: logs });
    await app.pistachio.publish('e', 'one');
    await app.pistachio.publish('e', 'two');

    expect(String(await app.pistachio.receive('e'))).toBe('one');
    expect(String(await app.pistachio.receive('e'))).toBe('two');
    expect(logs.count('warn', /PistachioService\.receive\(\) is deprecated and goes in 0\.4: inject PistachioQueue/)).toBe(1);
  });
});
