import { GatewayTimeoutException, HttpException, HttpStatus, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parse } from 'node:querystring';
import { InvalidOptionsError } from '../errors/index.js';
import type { PollRequest, ResolvedPistachioOptions } from '../interfaces/index.js';
import { monitoredPoll } from '../monitoring/monitored-poll.js';
import type { RegistrationMonitor } from '../monitoring/registration-monitor.js';
import { PISTACHIO_CONTROLLER, PISTACHIO_MONITOR, PISTACHIO_OPTIONS, PISTACHIO_POLLS } from '../pistachio.constants.js';
import { departureSignal } from './departure-signal.js';
import { toHttpException } from './http-exception.js';
import { answerPoll, pollEndpoints, renderAnswer } from './poll-answer.js';
import type { PistachioController } from './pistachio.controller.js';
import { asksForStream } from './streams/asks-for-stream.js';
import type { EndpointPolls } from './polls/endpoint-polls.interface.js';
import { routeMiddleware } from './route.middleware.js';

/** Sets a header on the Node response itself, as `toHttpException` asks of an adapter. */
const nodeHeaders = { setHeader: (response: ServerResponse, name: string, value: string) => response.setHeader(name, value) };

/**
 * `directRoute: true`: the HTTP server hands the registration its polls (`GET {prefix}{path}/:endpoint`, streams
 * excepted) before the framework sees them, so that no router, middleware, guard, interceptor, pipe or filter of the
 * app runs on them: on Express that is most of what a poll costs. What the route itself does stays: the `authorize`
 * hook, CORS and `Cache-Control`, the monitor, the same answers and errors. Every other request goes to the framework.
 */
@Injectable()
export class DirectRoute implements OnApplicationBootstrap {
  private readonly logger = new Logger('PistachioModule');

  constructor(
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_POLLS) private readonly polls: EndpointPolls,
    @Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor,
    @Inject(PISTACHIO_CONTROLLER) private readonly controller: Type<PistachioController>,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(ApplicationConfig) private readonly config: ApplicationConfig,
  ) {}

  /** Before the app listens, and after the app has set its global prefix: the server's request listeners are wrapped. */
  onApplicationBootstrap(): void {
    if (!this.options.directRoute) {
      return;
    }
    if ((Reflect.getMetadata(GUARDS_METADATA, this.controller) ?? []).length > 0) {
      throw new InvalidOptionsError('directRoute', 'no `guards` beside it, which its polls would skip (use `authorize`)', true);
    }
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server | undefined;
    if (server === undefined) {
      // An adapter without a Node server of its own: the polls stay on the framework's route.
      this.logger.warn('directRoute: the HTTP adapter has no server to serve polls from; they go through the framework');
      return;
    }
    const base = `/${this.config.getGlobalPrefix()}/${this.options.path}/`.replace(/\/{2,}/g, '/');
    const headers = routeMiddleware(this.options);
    const framework = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
    server.removeAllListeners('request');
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const poll = request.method === 'GET' && !asksForStream(request.headers.accept) ? pollOf(request.url!, base) : undefined;
      if (poll === undefined) {
        framework.forEach((listener) => listener.call(server, request, response));
      } else {
        headers(request, response, (error) => void (error ? this.fail(response, error) : this.serve(request, response, poll)));
      }
    });
  }

  private async serve(request: IncomingMessage, response: ServerResponse, { endpoint, query }: { endpoint: string; query: Record<string, unknown> }): Promise<void> {
    try {
      const answer = await monitoredPoll(this.monitor, async () => {
        const departure = departureSignal(response);
        try {
          const endpoints = pollEndpoints(endpoint, this.options.maxEndpointsPerPoll);
          const answer = await answerPoll(this.polls, this.options, { endpoints, request: request as unknown as PollRequest, query, departure, response });
          if (answer !== undefined) {
            return answer;
          }
        } catch (error) {
          throw toHttpException(error, this.options.retryAfter, nodeHeaders, response);
        }
        throw new GatewayTimeoutException('Timeout waiting for response');
      });
      const { headers, type, body } = renderAnswer(answer, this.options.contentType);
      response.writeHead(HttpStatus.OK, { 'Content-Type': type, ...headers, 'Content-Length': body.length }).end(body);
    } catch (error) {
      this.fail(response, error);
    }
  }

  /** An error as Nest's own exception filter answers it: the HttpException's status and body, else a logged 500. */
  private fail(response: ServerResponse, error: unknown): void {
    if (!(error instanceof HttpException)) {
      this.logger.error(`A direct poll failed: ${(error as Error).stack ?? String(error)}`);
    }
    const exception = error instanceof HttpException ? error : new HttpException('Internal server error', HttpStatus.INTERNAL_SERVER_ERROR);
    const status = exception.getStatus();
    const answer = exception.getResponse();
    const body = JSON.stringify(typeof answer === 'object' ? answer : { statusCode: status, message: answer });
    if (!response.headersSent && !response.destroyed) {
      response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body) }).end(body);
    }
  }
}

/** The endpoint (decoded, unchecked) and query of a URL on `base`, one segment below it; undefined for any other URL. */
function pollOf(url: string, base: string): { endpoint: string; query: Record<string, unknown> } | undefined {
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  if (!path.startsWith(base) || path.length === base.length || path.indexOf('/', base.length) >= 0) {
    return undefined;
  }
  try {
    return { endpoint: decodeURIComponent(path.slice(base.length)), query: mark < 0 ? {} : parse(url.slice(mark + 1)) };
  } catch {
    // A malformed escape: the framework's route answers it as it answers any.
    return undefined;
  }
}
