import cors, { CorsOptions } from 'cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PistachioCorsOptions, ResolvedPistachioOptions } from '../interfaces/index.js';

/** Node-style middleware, and whether it answers CORS preflights itself (never calling `next` for them). */
export interface RouteMiddleware {
  (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void): void;
  readonly answersPreflights: boolean;
}

/**
 * Headers that every answer of the route carries, set before guards and handler run so that refusals carry them
 * too: `Cache-Control: no-store`, and the CORS headers when `cors` is on (whose preflights it answers itself).
 */
export function routeMiddleware(options: ResolvedPistachioOptions): RouteMiddleware {
  const allowOrigin = options.cors ? cors(toCorsOptions(options.cors)) : undefined;
  const middleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => {
    response.setHeader('Cache-Control', 'no-store');
    if (allowOrigin) {
      allowOrigin(request, response, next);
    } else {
      next();
    }
  };
  return Object.assign(middleware, { answersPreflights: allowOrigin !== undefined });
}

function toCorsOptions({ origin = true, credentials = false, maxAge, allowedHeaders }: PistachioCorsOptions): CorsOptions {
  return {
    origin:
      typeof origin === 'function'
        ? (requestOrigin, callback) => Promise.resolve(origin(requestOrigin)).then((allowed) => callback(null, allowed), callback)
        : origin,
    credentials,
    maxAge,
    allowedHeaders,
    // DELETE acknowledges a delivery, PATCH extends its visibility.
    methods: ['GET', 'DELETE', 'PATCH'],
    // The client reads Retry-After of a 503 or 429 to know how long to wait, the receipt to acknowledge and how long
    // it holds, the id to resume after, a multiplexed poll's message's endpoint and cursor.
    exposedHeaders: [
      'Retry-After',
      'Pistachio-Receipt',
      'Pistachio-Delivery-Count',
      'Pistachio-Visibility-Timeout',
      'Pistachio-Id',
      'Pistachio-Gap',
      'Pistachio-Endpoint',
      'Pistachio-Cursor',
    ],
  };
}
