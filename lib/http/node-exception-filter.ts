import type { ArgumentsHost, HttpServer } from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What Nest's exception filter asks of an adapter, on a bare Node response: a JSON body of the status. */
const nodeReplies: Pick<HttpServer, 'reply' | 'isHeadersSent' | 'end'> = {
  reply(response: ServerResponse, body: unknown, status: number) {
    const json = JSON.stringify(body);
    response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(json) }).end(json);
  },
  isHeadersSent: (response: ServerResponse) => response.headersSent,
  end: (response: ServerResponse) => response.end(),
};

const filter = new BaseExceptionFilter(nodeReplies as HttpServer);

/**
 * Answers an error of a poll served outside the framework as Nest's own exception filter would (it is that filter):
 * an HttpException's status and body, an `http-errors` one's, else a logged 500.
 */
export function answerException(error: unknown, request: IncomingMessage, response: ServerResponse): void {
  filter.catch(error, { getArgByIndex: (index: number) => [request, response][index] } as ArgumentsHost);
}
