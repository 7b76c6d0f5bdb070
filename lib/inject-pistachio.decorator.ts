import { Inject } from '@nestjs/common';
import { getPistachioToken } from './pistachio-token.js';

/** Injects the PistachioService of the registration named `name` (the unnamed one without it). */
export function InjectPistachio(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getPistachioToken(name));
}
