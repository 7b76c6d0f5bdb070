import { Inject, MiddlewareConsumer, Module, NestModule, OnModuleInit } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { checkHttpAdapter } from './http/http-adapter-check.js';
import type { ResolvedPistachioOptions } from './interfaces/index.js';
import { PISTACHIO_CONTROLLER, PISTACHIO_OPTIONS } from './pistachio.constants.js';
import type { PistachioController } from './http/pistachio.controller.js';
import { ConfigurableModuleClass } from './pistachio.module-definition.js';
import { routeMiddleware } from './http/route.middleware.js';
import { FastifyLike, hookFastifyRoutes } from './http/fastify-route-hook.js';

/**
 * HTTP long-polling push: `PistachioModule.forRoot({ namespace })` serves `GET {path}/:endpoint` and provides
 * `PistachioService` to publish. Register it several times for several paths or namespaces.
 */
@Module({})
export class PistachioModule extends ConfigurableModuleClass implements NestModule, OnModuleInit {
  /** @internal Nest creates it for the registration. */
  constructor(
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_CONTROLLER) private readonly controller: Type<PistachioController>,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {
    super();
  }

  /** Before the app listens: an adapter that cannot serve every endpoint name is told how to, once. */
  onModuleInit(): void {
    checkHttpAdapter(this.adapterHost.httpAdapter);
  }

  configure(consumer: MiddlewareConsumer): void {
    const middleware = routeMiddleware(this.options);
    const http = this.adapterHost.httpAdapter;
    if (http.getType() === 'fastify') {
      hookFastifyRoutes(http.getInstance<FastifyLike>(), this.options.path, middleware);
    } else {
      consumer.apply(middleware).forRoutes(this.controller);
    }
  }
}
