import cors, { CorsOptions } from 'cors';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { PistachioCorsOptions, ResolvedPistachioOptions } from '../interfaces/index.js';

type Middleware = (request: IncomingMessage, response: ServerResponse, next: (error?: unknown) => void) => void;

/**
 * Headers that every answer of the route carries, set before guards and handler run so that refusals carry them
 * too: `Cache-Control: no-store`, and the CORS headers when `cors` is on (whose preflights it answers itself).
 */
export function routeMiddleware(options: ResolvedPistachioOptions): Middleware {
  const allowOrigin = options.cors ? cors(toCorsOptions(options.cors)) : undefined;
  return (request, response, next) => {
    response.setHeader('Cache-Control', 'no-store');
    if (allowOrigin) {
      allowOrigin(request, response, next);
    } else {
      next();
    }
  };
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
