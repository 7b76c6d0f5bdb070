import { Inject } from '@nestjs/common';
import { getPistachioChannelToken } from './pistachio-token.js';

/** Injects the PistachioChannel of the broadcast registration named `name` (the unnamed one without it). */
export function InjectPistachioChannel(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getPistachioChannelToken(name));
}
