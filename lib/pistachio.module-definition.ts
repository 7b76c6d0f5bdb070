import { ConfigurableModuleBuilder, DynamicModule, UseGuards } from '@nestjs/common';
import { brokerProvider } from './brokers/broker.provider.js';
import { monitorProvider } from './monitoring/monitor.provider.js';
import { pollsProvider } from './polls/polls.provider.js';
import { PistachioHealthIndicator } from './monitoring/pistachio-health.indicator.js';
import { PistachioModuleExtras, PistachioModuleOptions } from './interfaces/index.js';
import { DEFAULT_PATH, PISTACHIO_CONTROLLER, PISTACHIO_OPTIONS } from './pistachio.constants.js';
import { resolvePistachioOptions } from './pistachio.options.js';
import { getPistachioHealthIndicatorToken, getPistachioToken } from './pistachio-token.js';
import { createPistachioController } from './pistachio.route.js';
import { PistachioService } from './pistachio.service.js';
import { PistachioRedisModule } from './redis/pistachio-redis.module.js';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN: PISTACHIO_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<PistachioModuleOptions>({ moduleName: 'Pistachio' })
    .setClassMethodName('forRoot')
    .setExtras<PistachioModuleExtras>({ isGlobal: false, path: DEFAULT_PATH, guards: [], name: undefined }, registration)
    .build();

/**
 * Everything one forRoot/forRootAsync call provides, with a controller class of its own. Its path and guards are set
 * here, when the module is defined: Nest reads them when it scans the module, before any provider exists.
 */
function registration(
  definition: DynamicModule,
  { isGlobal, path = DEFAULT_PATH, guards = [], name }: PistachioModuleExtras,
): DynamicModule {
  const controller = createPistachioController(path);
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
        useFactory: (options: PistachioModuleOptions) => resolvePistachioOptions(options, { path, name }),
        inject: [PISTACHIO_MODULE_OPTIONS],
      },
      { provide: PISTACHIO_CONTROLLER, useValue: controller },
      monitorProvider,
      brokerProvider,
      PistachioService,
      pollsProvider,
      PistachioHealthIndicator,
      ...(name === undefined
        ? []
        : [
            { provide: getPistachioToken(name), useExisting: PistachioService },
            { provide: getPistachioHealthIndicatorToken(name), useExisting: PistachioHealthIndicator },
          ]),
    ],
    // A named registration is injected by its name only, so that importing several never leaves Nest to pick one.
    exports: [getPistachioToken(name), getPistachioHealthIndicatorToken(name)],
  };
}
