import type { RegistrationMode } from '../interfaces/index.js';
import { PistachioError } from './pistachio.error.js';

/** An operation of queues on a broadcast registration, or one of channels on a queue registration. */
export class WrongModeError extends PistachioError {
  constructor(operation: string, needs: RegistrationMode) {
    const other: RegistrationMode = needs === 'queue' ? 'broadcast' : 'queue';
    super(`${operation} needs a registration with mode: '${needs}'; this one is '${other}'`);
  }
}
