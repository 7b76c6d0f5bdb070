import { InvalidEndpointError } from './errors/index.js';

/** The original's `\w+` plus `. : -`; `#` stays out so that keys the module keeps for itself cannot be named. */
const ENDPOINT_NAME = /^[A-Za-z0-9_.:-]{1,128}$/;

export function isEndpointName(name: unknown): name is string {
  return typeof name === 'string' && ENDPOINT_NAME.test(name) && name !== '.' && name !== '..';
}

export function assertEndpointName(name: unknown): asserts name is string {
  if (!isEndpointName(name)) {
    throw new InvalidEndpointError(name);
  }
}
