import { HttpServer, StreamableFile } from '@nestjs/common';

/** What the route uses of Fastify's reply. */
interface FastifyReplyHeaders {
  getHeader(name: string): unknown;
  header(name: string, value: string): unknown;
}

/**
 * An answer's body, of type `type` unless the response has one already, as the app's adapter sends it whole (headers
 * and body in one write) and never as a 304 to a conditional request. Fastify sends a Buffer as it is, in one
 * `res.end`. Express would turn a Buffer into JSON, and its `send()` checks freshness (`If-None-Match: *` makes a 304),
 * so there it goes as a stream.
 */
export function answerBody(adapter: HttpServer, response: object, body: Buffer, type: string): Buffer | StreamableFile {
  if (adapter.getType() !== 'fastify') {
    return new StreamableFile(body, { type, length: body.length });
  }
  const reply = response as FastifyReplyHeaders;
  if (reply.getHeader('Content-Type') === undefined) {
    reply.header('Content-Type', type);
  }
  return body;
}
