import { afterEach, describe, expect, it } from '@jest/globals';
import { ConsoleLogger, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  InjectPistachio,
  InvalidOptionsError,
  PistachioModule,
  PistachioModuleOptions,
  PistachioService,
} from '../../lib/index.js';
import { request } from '../support/http-client.js';
import { startApp, TestApp, pistachioModule, TestOptions } from '../support/start-app.js';
import { adapters } from '../support/adapters.js';

describe.each(adapters)('Registering PistachioModule on $name', (adapter) => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
  });

  it('serves two registrations independently, each on its own path and namespace', async () => {
    const a = PistachioModule.forRoot({ namespace: 'x', path: '/a' });
    const b = PistachioModule.forRoot({ namespace: 'y', path: '/b' });
    app = await startApp([a, b], { adapter });
    const serviceOf = (registration: typeof a) => app!.app.select(registration).get(PistachioService, { strict: true });
    await serviceOf(a).publish('shared-name', 'from a');
    await serviceOf(b).publish('shared-name', 'from b');

    expect(await serviceOf(a).length('shared-name')).toBe(1);
    expect(await request(`${app.url}/a/shared-name`)).toMatchObject({ status: 200, body: 'from a' });
    expect(await request(`${app.url}/b/shared-name`)).toMatchObject({ status: 200, body: 'from b' });
    expect(await serviceOf(b).length('shared-name')).toBe(0);
  });

  it('takes its options from ConfigService through forRootAsync with useFactory and inject', async () => {
    const config = ConfigModule.forRoot({ ignoreEnvFile: true, load: [() => ({ pistachio: { namespace: 'configured' } })] });
    app = await startApp([
      config,
      PistachioModule.forRootAsync({
        imports: [config],
        inject: [ConfigService],
        path: '/from-config',
        useFactory: (settings: ConfigService) => settings.getOrThrow<PistachioModuleOptions>('pistachio'),
      }),
    ], { adapter });
    await app.pistachio.publish('hello', 'configured');

    expect(await request(`${app.url}/from-config/hello`)).toMatchObject({ status: 200, body: 'configured' });
  });

  it('takes its options from a class through forRootAsync with useClass, and a top-level path', async () => {
    @Injectable()
    class PistachioConfig {
      create(): PistachioModuleOptions {
        return { namespace: 'by-class' };
      }
    }
    app = await startApp([PistachioModule.forRootAsync({ useClass: PistachioConfig, path: '/by-class' })], { adapter });
    await app.pistachio.publish('hello', 'from a class');

    expect(await request(`${app.url}/by-class/hello`)).toMatchObject({ status: 200, body: 'from a class' });
  });

  it('serves the default path /push_messages when none is given', async () => {
    app = await startApp([PistachioModule.forRoot({ namespace: 'defaults' })], { adapter });
    await app.pistachio.publish('hello', 'default path');

    expect(await request(`${app.url}/push_messages/hello`)).toMatchObject({ status: 200, body: 'default path' });
  });

  it('provides PistachioService everywhere when isGlobal is set', async () => {
    @Injectable()
    class Publisher {
      constructor(readonly pistachio: PistachioService) {}
    }
    @Module({ providers: [Publisher], exports: [Publisher] })
    class FeatureModule {}

    const moduleRef = await Test.createTestingModule({
      imports: [PistachioModule.forRoot({ namespace: 'global', isGlobal: true }), FeatureModule],
    }).compile();
    expect(moduleRef.get(Publisher).pistachio).toBeInstanceOf(PistachioService);
    await moduleRef.close();
  });

  it('says once in the log that it runs on the in-memory broker', async () => {
    const logged: string[] = [];
    class RecordingLogger extends ConsoleLogger {
      override log(message: string) {
        logged.push(message);
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: [PistachioModule.forRoot({ namespace: 'logged' })],
    })
      .setLogger(new RecordingLogger())
      .compile();
    await moduleRef.close();

    expect(logged.filter((line) => line.includes('in-memory broker'))).toHaveLength(1);
  });

  // The combinations test/types/options.type-test.ts refuses at compile time, as a JavaScript app meets them.
  it.each<[string, Partial<TestOptions>]>([
    ['namespace', {}],
    ['namespace', { namespace: '' }],
    ['namespace', { namespace: 'my app' }],
    ['timeout', { namespace: 'n', timeout: 0 }],
    ['timeout', { namespace: 'n', timeout: -5 }],
    ['timeout', { namespace: 'n', timeout: Number.NaN }],
    ['timeout', { namespace: 'n', timeout: '30' as unknown as number }],
    ['path', { namespace: 'n', path: 'no-slash' }],
    ['path', { namespace: 'n', path: '/trailing/' }],
    ['path', { namespace: 'n', path: '/with/:param' }],
    ['path', { namespace: 'n', path: '/wild*' }],
    ['contentType', { namespace: 'n', contentType: '' }],
    ['retryAfter', { namespace: 'n', retryAfter: 1.5 }],
    ['shutdownGrace', { namespace: 'n', shutdownGrace: -1 }],
    ['delivery', { namespace: 'n', delivery: 'exactly-once' as 'at-least-once' }],
    ['visibilityTimeout', { namespace: 'n', delivery: 'at-least-once', visibilityTimeout: 0 }],
    ['maxDeliveries', { namespace: 'n', delivery: 'at-least-once', maxDeliveries: 0 }],
    ['maxVisibilityTimeout', { namespace: 'n', delivery: 'at-least-once', maxVisibilityTimeout: 0 }],
    ['maxVisibilityTimeout', { namespace: 'n', delivery: 'at-least-once', visibilityTimeout: 60_000, maxVisibilityTimeout: 30_000 }],
    ['maxVisibilityTimeout', { namespace: 'n', maxVisibilityTimeout: 60_000 }],
    ['maxBatch', { namespace: 'n', maxBatch: 2.5 }],
    ['directRoute', { namespace: 'n', directRoute: 'yes' as unknown as boolean }],
    ['heartbeat', { namespace: 'n', heartbeat: 0 }],
    ['streamMaxDuration', { namespace: 'n', mode: 'broadcast', streamMaxDuration: -1 }],
    ['heartbeat', { namespace: 'n', delivery: 'at-least-once', heartbeat: 5_000 }],
    ['mode', { namespace: 'n', mode: 'fanout' as 'broadcast' }],
    ['retention', { namespace: 'n', mode: 'broadcast', retention: 0 }],
    ['delivery', { namespace: 'n', mode: 'broadcast', delivery: 'at-least-once' }],
    ['name', { namespace: 'n', name: '' }],
    ['durability', { namespace: 'n', durability: { replicas: 1, timeout: 1_000 } }],
    ['durability', { namespace: 'n', redis: 'redis://127.0.0.1:1', durability: 1 as unknown as { replicas: 1; timeout: 1 } }],
    ['durability.replicas', { namespace: 'n', redis: 'redis://127.0.0.1:1', durability: { replicas: 0, timeout: 1_000 } }],
    ['durability.timeout', { namespace: 'n', redis: 'redis://127.0.0.1:1', durability: { replicas: 1, timeout: -1 } }],
    ['visibilityTimeout', { namespace: 'n', mode: 'broadcast', visibilityTimeout: 5_000 }],
    ['maxQueueLength', { namespace: 'n', mode: 'broadcast', maxQueueLength: 10 }],
    ['retention', { namespace: 'n', retention: 10 }],
    ['maxDeliveries', { namespace: 'n', delivery: 'at-most-once', maxDeliveries: 3 }],
    ['visibilityTimeout', { namespace: 'n', visibilityTimeout: 5_000 }],
    ['mode', { namespace: 'n', mode: 'fanout' as 'queue' }],
    ['timout', { namespace: 'n', timout: 1_000 } as Partial<TestOptions>],
    ['blockingConnections', { namespace: 'n', blockingConnections: 4 } as Partial<TestOptions>],
  ])('fails at start-up naming the option "%s" when it is invalid (%j)', async (option, options) => {
    const starting = Test.createTestingModule({
      imports: [pistachioModule(options as TestOptions)],
    }).compile();

    await expect(starting).rejects.toThrow(InvalidOptionsError);
    await expect(starting).rejects.toHaveProperty('option', option);
    await expect(starting).rejects.toThrow(`"${option}"`);
  });

  it('names the option a mode does not have, and suggests the nearest name for one that does not exist', async () => {
    const refusal = (options: object) => Test.createTestingModule({ imports: [pistachioModule(options as TestOptions)] }).compile();

    await expect(refusal({ namespace: 'n', mode: 'broadcast', visibilityTimeout: 5_000 })).rejects.toThrow(
      'Invalid PistachioModule option "visibilityTimeout": expected no value in a broadcast registration: only at-least-once queue registrations have it, got 5000',
    );
    await expect(refusal({ namespace: 'n', maxWaiter: 5 })).rejects.toThrow('(did you mean "maxWaiters"?)');
    await expect(refusal({ namespace: 'n', zzz: 5 })).rejects.toThrow('Invalid PistachioModule option "zzz": expected a known option, got 5');
  });

  it('checks a forRootAsync factory\'s options as forRoot\'s, its mode and delivery against the top-level ones', async () => {
    const cases: [ReturnType<typeof PistachioModule.forRootAsync>, RegExp][] = [
      [PistachioModule.forRootAsync({ useFactory: () => ({ namespace: 'n', timeot: 5 }) as PistachioModuleOptions }), /option "timeot".*did you mean "timeout"/],
      [PistachioModule.forRootAsync({ useFactory: () => ({ namespace: 'n', mode: 'broadcast' }) }), /option "mode": expected the value given next to useFactory\/useClass in forRootAsync \("queue", the default unless given there\), got "broadcast"/],
      [
        PistachioModule.forRootAsync({ mode: 'broadcast', useFactory: () => ({ namespace: 'n', visibilityTimeout: 5 }) as PistachioModuleOptions }),
        /option "visibilityTimeout": expected no value in a broadcast registration/,
      ],
      [PistachioModule.forRootAsync({ mode: 'broadcast', delivery: 'at-least-once', useFactory: () => ({ namespace: 'n' }) }), /option "delivery"/],
      [PistachioModule.forRootAsync({ useFactory: () => ({ namespace: 'n', guards: [] }) as PistachioModuleOptions }), /option "guards": expected to be given next to useFactory/],
    ];
    for (const [registration, refusal] of cases) {
      await expect(Test.createTestingModule({ imports: [registration] }).compile()).rejects.toThrow(refusal);
    }
  });

  it('fails at start-up when a forRootAsync factory returns a path other than the top-level one', async () => {
    const factory = () => ({ namespace: 'n', path: '/factory' }) as PistachioModuleOptions;
    for (const registration of [
      PistachioModule.forRootAsync({ path: '/top', useFactory: factory }),
      PistachioModule.forRootAsync({ useFactory: factory }),
    ]) {
      const starting = Test.createTestingModule({ imports: [registration] }).compile();
      await expect(starting).rejects.toThrow(/option "path": expected the value given next to useFactory/);
    }
  });

  it('mounts the route on its path only, never on the app\'s other one-segment URLs', async () => {
    app = await startApp([
      PistachioModule.forRoot({ namespace: 'mounted', path: '/messages/inbox', timeout: 1_000 }),
      PistachioModule.forRootAsync({ path: '/async', useFactory: () => ({ namespace: 'mounted-async', timeout: 1_000 }) }),
    ], { adapter });

    for (const url of ['/e', '/messages/e', '/inbox/e', '/messages/inbox/e/more', '/async', '/asyncx/e']) {
      expect((await request(`${app.url}${url}`)).status).toBe(404);
    }
    expect((await request(`${app.url}/messages/inbox/e`)).status).toBe(504);
    expect((await request(`${app.url}/async/e`)).status).toBe(504);
  });

  it('injects named registrations by name with @InjectPistachio, however many a module imports', async () => {
    @Injectable()
    class Notifier {
      constructor(
        @InjectPistachio('alerts') readonly alerts: PistachioService,
        @InjectPistachio('chat') readonly chat: PistachioService,
      ) {}
    }
    @Module({
      imports: [
        PistachioModule.forRoot({ name: 'alerts', namespace: 'alerts', path: '/alerts' }),
        PistachioModule.forRoot({ name: 'chat', namespace: 'chat', path: '/chat' }),
      ],
      providers: [Notifier],
    })
    class FeatureModule {}
    app = await startApp([FeatureModule], { adapter });
    const notifier = app.app.get(Notifier);
    expect(notifier.alerts).not.toBe(notifier.chat);
    await notifier.alerts.publish('user-1', 'an alert');
    await notifier.chat.publish('user-1', 'a chat message');

    expect(await request(`${app.url}/alerts/user-1`)).toMatchObject({ status: 200, body: 'an alert' });
    expect(await request(`${app.url}/chat/user-1`)).toMatchObject({ status: 200, body: 'a chat message' });
  });

  it('does not inject a named registration as the bare class: Nest never picks one silently', async () => {
    @Injectable()
    class Ambiguous {
      constructor(readonly pistachio: PistachioService) {}
    }
    @Module({
      imports: [PistachioModule.forRoot({ name: 'one', namespace: 'one', path: '/one' })],
      providers: [Ambiguous],
    })
    class FeatureModule {}

    await expect(Test.createTestingModule({ imports: [FeatureModule] }).compile()).rejects.toThrow(/PistachioService/);
  });
});
