import { Logger } from '@nestjs/common';
import type { HttpServer } from '@nestjs/common';
import { MAX_ENDPOINT_NAME_LENGTH } from '../endpoint-name.js';

/** What Fastify reports of its router's settings (`fastify.initialConfig`). */
interface FastifyInitialConfig {
  maxParamLength?: number;
  routerOptions?: { maxParamLength?: number };
}

/** The hint is about the app's adapter, the same for every registration: once per process is enough. */
let hinted = false;

/**
 * Says, once, how to serve the whole route contract when the app's HTTP adapter cannot: on Fastify, a router whose
 * path parameters are shorter than the longest endpoint name serves names up to its limit and answers longer ones
 * `414` itself, before the route. The app still starts: Fastify's defaults (100) are what Nest's docs show.
 */
export function checkHttpAdapter(adapter: HttpServer | undefined): void {
  if (hinted || adapter?.getType() !== 'fastify') {
    return;
  }
  const config = (adapter.getInstance() as { initialConfig: FastifyInitialConfig }).initialConfig;
  const maxParamLength = config.routerOptions?.maxParamLength ?? config.maxParamLength ?? 100;
  if (maxParamLength < MAX_ENDPOINT_NAME_LENGTH) {
    hinted = true;
    new Logger('PistachioModule').warn(
      `Fastify's router takes path parameters of up to ${maxParamLength} characters (maxParamLength): endpoint names ` +
        `longer than that get Fastify's 414. To serve names of up to ${MAX_ENDPOINT_NAME_LENGTH} characters, create ` +
        `the adapter with new FastifyAdapter({ routerOptions: { maxParamLength: ${MAX_ENDPOINT_NAME_LENGTH} } })`,
    );
  }
}
