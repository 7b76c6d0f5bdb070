import { PistachioError } from './pistachio.error.js';

export class InvalidOptionsError extends PistachioError {
  constructor(readonly option: string, expected: string, actual: unknown, owner = 'PistachioModule') {
    super(`Invalid ${owner} option "${option}": expected ${expected}, got ${describe(actual)}`);
  }
}

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}
