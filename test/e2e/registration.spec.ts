import { afterEach, describe, expect, it } from '@jest/globals';
import { ConsoleLogger, Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  InvalidOptionsError,
  PistachioModule,
  PistachioModuleOptions,
  PistachioService,
} from '../../lib/index.js';
import { request } from '../support/http-client.js';
import { startApp, TestApp } from '../support/start-app.js';

describe('Registering PistachioModule', () => {
  let app: TestApp | undefined;
  afterEach(async () => {
    await app?.app.close();
    app = undefined;
  });

  it('serves two registrations independently, each on its own path and namespace', async () => {
    const a = PistachioModule.forRoot({ namespace: 'x', path: '/a' });
    const b = PistachioModule.forRoot({ namespace: 'y', path: '/b' });
    app = await startApp([a, b]);
    const serviceOf = (registration: typeof a) => app!.app.select(registration).get(PistachioService, { strict: true });
    await serviceOf(a).publish('shared-name', 'from a');
    await serviceOf(b).publish('shared-name', 'from b');

    expect(await serviceOf(a).length('shared-name')).toBe(1);
    expect(await request(`${app.url}/a/shared-name`)).toMatchObject({ status: 200, body: 'from a' });
    expect(await request(`${app.url}/b/shared-name`)).toMatchObject({ status: 200, body: 'from b' });
    expect(await serviceOf(b).length('shared-name')).toBe(0);
  });

  it('takes its options from ConfigService through forRootAsync with useFactory and inject', async () => {
    const config = ConfigModule.forRoot({
      ignoreEnvFile: true,
      load: [() => ({ pistachio: { namespace: 'configured', path: '/from-config' } })],
    });
    app = await startApp([
      config,
      PistachioModule.forRootAsync({
        imports: [config],
        inject: [ConfigService],
        useFactory: (settings: ConfigService) => settings.getOrThrow<PistachioModuleOptions>('pistachio'),
      }),
    ]);
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
    app = await startApp([PistachioModule.forRootAsync({ useClass: PistachioConfig, path: '/by-class' })]);
    await app.pistachio.publish('hello', 'from a class');

    expect(await request(`${app.url}/by-class/hello`)).toMatchObject({ status: 200, body: 'from a class' });
  });

  it('serves the default path /push_messages when none is given', async () => {
    app = await startApp([PistachioModule.forRoot({ namespace: 'defaults' })]);
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

  it.each<[string, Partial<PistachioModuleOptions>]>([
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
  ])('fails at start-up naming the option "%s" when it is invalid (%j)', async (option, options) => {
    const starting = Test.createTestingModule({
      imports: [PistachioModule.forRoot(options as PistachioModuleOptions)],
    }).compile();

    await expect(starting).rejects.toThrow(InvalidOptionsError);
    await expect(starting).rejects.toHaveProperty('option', option);
    await expect(starting).rejects.toThrow(`"${option}"`);
  });

  it('fails at start-up when forRootAsync is given two different paths', async () => {
    const starting = Test.createTestingModule({
      imports: [
        PistachioModule.forRootAsync({ path: '/top', useFactory: () => ({ namespace: 'n', path: '/factory' }) }),
      ],
    }).compile();

    await expect(starting).rejects.toThrow(/option "path"/);
  });
});
