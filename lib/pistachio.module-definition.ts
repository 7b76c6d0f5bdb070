import { ConfigurableModuleBuilder, DynamicModule, UseGuards } from '@nestjs/common';
import { brokerProvider } from './brokers/broker.provider.js';
import { PistachioModuleExtras, PistachioModuleOptions, ResolvedPistachioOptions } from './interfaces/index.js';
import { PISTACHIO_CONTROLLER, PISTACHIO_OPTIONS, PISTACHIO_ROUTE } from './pistachio.constants.js';
import { resolvePistachioOptions } from './pistachio.options.js';
import { createPistachioController, setControllerPath } from './pistachio.route.js';
import { PistachioService } from './pistachio.service.js';

export const {
  ConfigurableModuleClass,
  MODULE_OPTIONS_TOKEN: PISTACHIO_MODULE_OPTIONS,
  OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<PistachioModuleOptions>({ moduleName: 'Pistachio' })
  .setClassMethodName('forRoot')
  .setExtras<PistachioModuleExtras>({ isGlobal: false, path: undefined, guards: [] }, registration)
  .build();

/**
 * Everything one forRoot/forRootAsync call provides, with a controller class of its own. Its guards are set here, when
 * the module is defined: Nest resolves a controller's guard classes when it scans the module, before any provider.
 */
function registration(definition: DynamicModule, { isGlobal, path, guards = [] }: PistachioModuleExtras): DynamicModule {
  const controller = createPistachioController();
  if (guards.length > 0) {
    UseGuards(...guards)(controller);
  }
  return {
    ...definition,
    global: isGlobal,
    controllers: [controller],
    providers: [
      ...(definition.providers ?? []),
      {
        provide: PISTACHIO_OPTIONS,
        useFactory: (options: PistachioModuleOptions) => resolvePistachioOptions(options, path),
        inject: [PISTACHIO_MODULE_OPTIONS],
      },
      {
        provide: PISTACHIO_ROUTE,
        useFactory: (options: ResolvedPistachioOptions) => setControllerPath(controller, options.path),
        inject: [PISTACHIO_OPTIONS],
      },
      { provide: PISTACHIO_CONTROLLER, useValue: controller },
      brokerProvider,
      PistachioService,
    ],
    exports: [PistachioService],
  };
}
