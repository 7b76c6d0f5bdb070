import { Module } from '@nestjs/common';
import { ConfigurableModuleClass } from './pistachio.module-definition.js';

/**
 * HTTP long-polling push: `PistachioModule.forRoot({ namespace })` serves `GET {path}/:endpoint` and provides
 * `PistachioService` to publish. Register it several times for several paths or namespaces.
 */
@Module({})
export class PistachioModule extends ConfigurableModuleClass {}
