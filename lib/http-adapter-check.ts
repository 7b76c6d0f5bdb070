import type { HttpServer } from '@nestjs/common';
import { FastifyParamLengthError } from './errors/index.js';
import { MAX_ENDPOINT_NAME_LENGTH } from './endpoint-name.js';

/** What Fastify reports of its router's settings (`fastify.initialConfig`). */
interface FastifyInitialConfig {
  maxParamLength?: number;
  routerOptions?: { maxParamLength?: number };
}

/**
 * Throws when the app's HTTP adapter cannot serve the whole route contract: on Fastify, a router that refuses path
 * parameters as long as the longest endpoint name (it would answer 414 itself, before the route).
 */
export function assertHttpAdapterFits(adapter: HttpServer | undefined): void {
  if (adapter?.getType() !== 'fastify') {
    return;
  }
  const config = (adapter.getInstance() as { initialConfig: FastifyInitialConfig }).initialConfig;
  const maxParamLength = config.routerOptions?.maxParamLength ?? config.maxParamLength ?? 100;
  if (maxParamLength < MAX_ENDPOINT_NAME_LENGTH) {
    throw new FastifyParamLengthError(maxParamLength);
  }
}
