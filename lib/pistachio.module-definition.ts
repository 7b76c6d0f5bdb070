import { ConfigurableModuleBuilder, DynamicModule, UseGuards } from '@nestjs/common';
import { brokerProvider } from './brokers/broker.provider.js';
import { monitorProvider } from './monitoring/monitor.provider.js';
import { presenceProvider } from './presence/presence.provider.js';
import { PistachioHealthIndicator } from './monitoring/pistachio-health.indicator.js';
import { PistachioModuleExtras, PistachioModuleOptions } from './interfaces/index.js';
import {
  DEFAULT_DELIVERY,
  DEFAULT_MODE,
  DEFAULT_PATH,
  PISTACHIO_CONTROLLER,
  PISTACHIO_MODE_API,
  PISTACHIO_OPTIONS,
  PISTACHIO_POLLS,
  PISTACHIO_STREAMS,
} from './pistachio.constants.js';
import { pistachioMode } from './pistachio-modes.js';
import { resolvePistachioOptions } from './pistachio.options.js';
import { getPistachioHealthIndicatorToken, getPistachioToken } from './pistachio-token.js';
import { createPistachioController } from './http/pistachio.route.js';
import { DirectRoute } from './http/direct-route.js';
import { PistachioService } from './pistachio.service.js';
import { Receives } from './receives.js';
import { PistachioRedisModule } from './redis/pistachio-redis.module.js';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: PISTACHIO_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<PistachioModuleOptions>({ moduleName: 'Pistachio' })
    .setClassMethodName('forRoot')
    .setExtras<PistachioModuleExtras>(
      { isGlobal: false, path: DEFAULT_PATH, guards: [], name: undefined, mode: DEFAULT_MODE, delivery: DEFAULT_DELIVERY },
      registration,
    )
    .build();

/**
 * Everything one forRoot/forRootAsync call provides, with a controller class of its own. Its path, guards and mode are
 * set here, when the module is defined: Nest reads them when it scans the module, before any provider exists.
 */
function registration(
  definition: DynamicModule,
  { isGlobal, path = DEFAULT_PATH, guards = [], name, mode = DEFAULT_MODE, delivery = DEFAULT_DELIVERY }: PistachioModuleExtras,
): DynamicModule {
  const kind = pistachioMode({ mode, delivery });
  const controller = createPistachioController(path, kind.controller);
  const modeToken = kind.token(name);
  if (guards.length > 0) {
    UseGuards(...guards)(controller);
  }
  return {
    ...definition,
    global: isGlobal,
    imports: [...(definition.imports ?? []), PistachioRedisModule],
    controllers: [controller],
    providers: [
      ...(definition.providers ?? []),
      {
        provide: PISTACHIO_OPTIONS,
        useFactory: (options: PistachioModuleOptions) => resolvePistachioOptions(options, { path, name, mode, delivery }),
        inject: [PISTACHIO_MODULE_OPTIONS],
      },
      { provide: PISTACHIO_CONTROLLER, useValue: controller },
      monitorProvider,
      brokerProvider(kind.brokers),
      Receives,
      presenceProvider,
      PistachioService,
      kind.api,
      { provide: PISTACHIO_MODE_API, useExisting: kind.api },
      { provide: PISTACHIO_POLLS, useClass: kind.polls },
      { provide: PISTACHIO_STREAMS, useClass: kind.streams },
      DirectRoute,
      PistachioHealthIndicator,
      ...(modeToken === kind.api ? [] : [{ provide: modeToken, useExisting: kind.api }]),
      ...(name === undefined
        ? []
        : [
            { provide: getPistachioToken(name), useExisting: PistachioService },
            { provide: getPistachioHealthIndicatorToken(name), useExisting: PistachioHealthIndicator },
          ]),
    ],
    // A named registration is injected by its name only, so that importing several never leaves Nest to pick one.
    exports: [
      getPistachioToken(name),
      getPistachioHealthIndicatorToken(name),
      modeToken,
      ...(name === undefined && modeToken !== kind.api ? [kind.api] : []),
    ],
  };
}
