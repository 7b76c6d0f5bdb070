import { ConfigurableModuleBuilder, DynamicModule } from '@nestjs/common';
import { brokerProvider } from './brokers/broker.provider.js';
import { PistachioModuleExtras, PistachioModuleOptions, ResolvedPistachioOptions } from './interfaces/index.js';
import { PISTACHIO_OPTIONS, PISTACHIO_ROUTE } from './pistachio.constants.js';
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
  .setExtras<PistachioModuleExtras>({ isGlobal: false, path: undefined }, registration)
  .build();

/** Everything one forRoot/forRootAsync call provides, with a controller class of its own. */
function registration(definition: DynamicModule, { isGlobal, path }: PistachioModuleExtras): DynamicModule {
  const controller = createPistachioController();
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
      brokerProvider,
      PistachioService,
    ],
    exports: [PistachioService],
  };
}
