import { Inject } from '@nestjs/common';
import { getPistachioQueueToken } from './pistachio-token.js';

/**
 * Injects the PistachioQueue of the queue registration named `name` (the unnamed one without it); type it as
 * PistachioAcknowledgedQueue when the registration delivers at least once.
 */
export function InjectPistachioQueue(name?: string): PropertyDecorator & ParameterDecorator {
  return Inject(getPistachioQueueToken(name));
}
