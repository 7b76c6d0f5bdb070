import { assertEndpointName } from './endpoint-name.js';

/** The broker key of an endpoint of a namespace, `<namespace>:<endpoint>`, once its name is checked. */
export function endpointKey(namespace: string, endpoint: string): string {
  assertEndpointName(endpoint);
  return `${namespace}:${endpoint}`;
}
