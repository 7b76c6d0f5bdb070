import { Inject } from '@nestjs/common';
import { getPistachioHealthIndicatorToken } from './pistachio-token.js';

/** Injects the PistachioHealthIndicator of the registration named `name` (the unnamed one without it). */
export function InjectPistachioHealthIndicator(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getPistachioHealthIndicatorToken(name));
}
