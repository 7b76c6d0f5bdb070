import { Controller, Type } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { PistachioController } from './pistachio.controller.js';

/** A controller class of its own for one registration, so that two registrations never share a path. */
export function createPistachioController(): Type<PistachioController> {
  @Controller()
  class RegisteredPistachioController extends PistachioController {}
  return RegisteredPistachioController;
}

/**
 * Writes the registration's path onto its controller. A provider does it, as the path may come from forRootAsync's
 * factory: providers are all created before Nest registers routes (onModuleInit would be too late).
 */
export function setControllerPath(controller: Type<PistachioController>, path: string): void {
  Reflect.defineMetadata(PATH_METADATA, path, controller);
}
