import { InvalidEndpointError, InvalidEndpointListError } from './errors/index.js';

export const MAX_ENDPOINT_NAME_LENGTH = 128;

/** The original's `\w+` plus `. : -`; `#` stays out so that keys the module keeps for itself cannot be named. */
const ENDPOINT_NAME = new RegExp(`^[A-Za-z0-9_.:-]{1,${MAX_ENDPOINT_NAME_LENGTH}}$`);

export function isEndpointName(name: unknown): name is string {
  return typeof name === 'string' && ENDPOINT_NAME.test(name) && name !== '.' && name !== '..';
}

export function assertEndpointName(name: unknown): asserts name is string {
  if (!isEndpointName(name)) {
    throw new InvalidEndpointError(name);
  }
}

/** The endpoints of one receive on several (a multiplexed poll): 2 to `max` distinct names, each valid. */
export function assertEndpointList(endpoints: string[], max: number): void {
  endpoints.forEach((endpoint) => assertEndpointName(endpoint));
  if (endpoints.length < 2 || endpoints.length > max || new Set(endpoints).size !== endpoints.length) {
    throw new InvalidEndpointListError(endpoints, max);
  }
}
