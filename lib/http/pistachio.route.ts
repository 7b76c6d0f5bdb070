import { Controller, Type } from '@nestjs/common';
import { PistachioController } from './pistachio.controller.js';

/**
 * A controller class of its own for one registration, on its path, of the route its mode serves: two registrations
 * never share a class, and the path is set when the module is defined, as Nest reads it when it registers routes.
 */
export function createPistachioController(path: string, route: Type<PistachioController>): Type<PistachioController> {
  @Controller(path)
  class RegisteredPistachioController extends route {}
  return RegisteredPistachioController;
}
