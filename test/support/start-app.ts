import { CanActivate, INestApplication, LoggerService, ModuleMetadata, NestInterceptor } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AddressInfo } from 'node:net';
import {
  PistachioAcknowledgedQueue,
  PistachioAtLeastOnceOptions,
  PistachioStreamOptions,
  PistachioChannel,
  PistachioCommonOptions,
  PistachioModule,
  PistachioModuleExtras,
  PistachioQueue,
  PistachioRootOptions,
  PistachioService,
} from '../../lib/index.js';
import { AdapterFixture } from './adapters.js';
import { ArrivalsInterceptor } from './arrivals.interceptor.js';

export interface TestApp {
  app: INestApplication;
  /** Base URL of the listening server, e.g. `http://127.0.0.1:41234`. */
  url: string;
  pistachio: PistachioService;
  /** The registration's queue, typed as acknowledged: at most once, its acknowledging methods do not exist. */
  queue: PistachioAcknowledgedQueue;
  /** The registration's channel, in a broadcast registration. */
  channel: PistachioChannel;
  arrivals: ArrivalsInterceptor;
}

/**
 * Options of any mode, flat: the suites run one spec over modes and deliveries that the module's types keep apart;
 * the module checks them at start-up as it does a JavaScript app's.
 */
export type TestOptions = PistachioCommonOptions &
  PistachioModuleExtras &
  Partial<Pick<PistachioAtLeastOnceOptions, 'maxQueueLength' | 'overflow' | 'deduplicationWindow' | 'maxDelay' | 'visibilityTimeout' | 'maxVisibilityTimeout' | 'maxDeliveries'>> &
  PistachioStreamOptions & { retention?: number };

/** PistachioModule.forRoot() of options of any mode. */
export function pistachioModule(options: TestOptions) {
  return PistachioModule.forRoot(options as PistachioRootOptions);
}

/** What the app applies globally, as an app of a user's would. */
export interface AppGlobals {
  interceptors?: NestInterceptor[];
  guards?: CanActivate[];
  /** Receives what the app logs (by default only errors are shown). */
  logger?: LoggerService;
  /** The HTTP adapter (see support/adapters.ts). Default: Express. */
  adapter?: AdapterFixture;
  /** The app's global route prefix (`app.setGlobalPrefix`). */
  prefix?: string;
}

/** Boots a Nest app around the given modules and listens on a free port of the loopback. */
export async function startApp(
  imports: ModuleMetadata['imports'],
  { interceptors = [], guards = [], logger, adapter, prefix }: AppGlobals = {},
): Promise<TestApp> {
  const builder = Test.createTestingModule({ imports });
  const moduleRef = await (logger ? builder.setLogger(logger) : builder).compile();
  // As README advises for long-polling apps: closing does not wait for clients' idle keep-alive connections.
  const options = { forceCloseConnections: true };
  const httpAdapter = adapter?.create();
  const app = httpAdapter
    ? moduleRef.createNestApplication(httpAdapter, options)
    : moduleRef.createNestApplication(options);
  const arrivals = new ArrivalsInterceptor();
  app.useGlobalInterceptors(arrivals, ...interceptors);
  app.useGlobalGuards(...guards);
  if (prefix) {
    app.setGlobalPrefix(prefix);
  }
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    app,
    url: `http://127.0.0.1:${port}`,
    pistachio: app.get(PistachioService),
    // Looked up when used: a registration provides only its mode's injectable.
    get queue() {
      return app.get<PistachioAcknowledgedQueue>(PistachioQueue);
    },
    get channel() {
      return app.get(PistachioChannel);
    },
    arrivals,
  };
}

/** The common case: one registration. */
export function startPistachio(options: TestOptions, globals?: AppGlobals): Promise<TestApp> {
  return startApp([pistachioModule(options)], globals);
}
