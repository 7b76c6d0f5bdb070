import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RouteMiddleware } from './route.middleware.js';

/** What the hook uses of Fastify: its instance, a route's options as `onRoute` gives them, a request and a reply. */
interface FastifyRequestLike {
  method: string;
  raw: IncomingMessage;
}
interface FastifyReplyLike {
  raw: ServerResponse;
  hijack(): void;
}
type OnRequest = (request: FastifyRequestLike, reply: FastifyReplyLike, done: (error?: unknown) => void) => void;
interface FastifyRouteOptions {
  url: string;
  onRequest?: OnRequest | OnRequest[];
}
export interface FastifyLike {
  addHook(name: 'onRoute', hook: (route: FastifyRouteOptions) => void): unknown;
}

/**
 * On Fastify, runs the route's middleware as an `onRequest` hook of the route's own (of every route on
 * `{path}/:endpoint`, whatever prefix the app gives it) rather than as Nest middleware, which Nest hands to
 * `@fastify/middie`: that runs on every request of the app, parsing its URL and reading its peer address (a tenth of
 * what taking in a poll cost). Call before Nest registers the routes (from `configure()`). A preflight that CORS answers
 * itself is hijacked from Fastify first, so that Fastify does not answer it too.
 */
export function hookFastifyRoutes(fastify: FastifyLike, path: string, middleware: RouteMiddleware): void {
  const routeUrl = `${path}/:endpoint`;
  const onRequest: OnRequest = (request, reply, done) => {
    if (middleware.answersPreflights && request.method === 'OPTIONS') {
      reply.hijack();
    }
    middleware(request.raw, reply.raw, done);
  };
  fastify.addHook('onRoute', (route) => {
    if (route.url.endsWith(routeUrl)) {
      route.onRequest = [...[route.onRequest ?? []].flat(), onRequest];
    }
  });
}
