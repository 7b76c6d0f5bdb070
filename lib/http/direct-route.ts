import { HttpStatus, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Type } from '@nestjs/common';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { ApplicationConfig, HttpAdapterHost } from '@nestjs/core';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { InvalidOptionsError } from '../errors/index.js';
import type { PollRequest, ResolvedPistachioOptions } from '../interfaces/index.js';
import { monitoredPoll } from '../monitoring/monitored-poll.js';
import type { RegistrationMonitor } from '../monitoring/registration-monitor.js';
import { PISTACHIO_CONTROLLER, PISTACHIO_MONITOR, PISTACHIO_OPTIONS, PISTACHIO_POLLS } from '../pistachio.constants.js';
import { departureSignal } from './departure-signal.js';
import { toHttpException } from './http-exception.js';
import { answerException } from './node-exception-filter.js';
import { answerOrTimeout, answerPoll, pollEndpoints, renderAnswer } from './poll-answer.js';
import { PollUrl, pollUrl } from './poll-url.js';
import type { PistachioController } from './pistachio.controller.js';
import type { EndpointPolls } from './polls/endpoint-polls.interface.js';
import { routeMiddleware } from './route.middleware.js';
import { asksForStream } from './streams/asks-for-stream.js';

/** Sets a header on the Node response itself, as `toHttpException` asks of an adapter. */
const nodeHeaders = { setHeader: (response: ServerResponse, name: string, value: string) => response.setHeader(name, value) };

/**
 * `directRoute: true`: the HTTP server hands the registration its polls (`GET {prefix}{path}/:endpoint`, streams
 * excepted) before the framework sees them, so that no router, middleware, guard, interceptor, pipe or filter of the
 * app runs on them: on Express that is most of what a poll costs. What the route itself does stays: the `authorize`
 * hook, CORS and `Cache-Control`, the monitor, the same answers and errors. Every other request, and every other
 * event of the server, goes on to the framework's listeners.
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

  /** Before the app listens, and after the app has set its global prefix: the server's `request` events are intercepted. */
  onApplicationBootstrap(): void {
    if (!this.options.directRoute) {
      return;
    }
    if ((Reflect.getMetadata(GUARDS_METADATA, this.controller) ?? []).length > 0) {
      throw new InvalidOptionsError('directRoute', 'no `guards` beside it, which its polls would skip (use `authorize`)', true);
    }
    // An application context, or an adapter without a Node server of its own: no polls to serve, or the framework's.
    const server = this.adapterHost.httpAdapter?.getHttpServer() as Server | undefined;
    if (server === undefined) {
      return;
    }
    this.warnOfWhatItSkips();
    const base = `/${this.config.getGlobalPrefix()}/${this.options.path}/`.replace(/\/{2,}/g, '/');
    const headers = routeMiddleware(this.options);
    // The server's own emit for everything else: the framework's listeners stay as they are, added or removed later too.
    const emit = server.emit.bind(server) as (event: string | symbol, ...args: unknown[]) => boolean;
    server.emit = ((event: string | symbol, ...args: unknown[]) => {
      const [request, response] = args as [IncomingMessage, ServerResponse];
      const poll = event === 'request' && request.method === 'GET' && !asksForStream(request.headers.accept) ? pollUrl(request.url!, base) : undefined;
      if (poll === undefined) {
        return emit(event, ...args);
      }
      headers(request, response, (error) => void (error ? answerException(error, request, response) : this.serve(request, response, poll)));
      return true;
    }) as Server['emit'];
  }

  private async serve(request: IncomingMessage, response: ServerResponse, { endpoint, query }: PollUrl): Promise<void> {
    // What the hook may read of the framework's request: the query and the route's parameter.
    const hooked = Object.assign(request, { query, params: { endpoint } }) as unknown as PollRequest;
    try {
      const answer = await monitoredPoll(this.monitor, async () => {
        const departure = departureSignal(response);
        let answer;
        try {
          const endpoints = pollEndpoints(endpoint, this.options.maxEndpointsPerPoll);
          answer = await answerPoll(this.polls, this.options, { endpoints, request: hooked, query, departure, response });
        } catch (error) {
          throw toHttpException(error, this.options.retryAfter, nodeHeaders, response);
        }
        return answerOrTimeout(answer);
      });
      const { headers, type, body } = renderAnswer(answer, this.options.contentType);
      response.writeHead(HttpStatus.OK, { 'Content-Type': type, ...headers, 'Content-Length': body.length }).end(body);
    } catch (error) {
      answerException(error, request, response);
    }
  }

  /** What of the app's own the polls skip, said once at start-up where the app has it. */
  private warnOfWhatItSkips(): void {
    const skipped = [
      this.config.getGlobalGuards().length + this.config.getGlobalRequestGuards().length > 0 ? "the app's global guards" : '',
      this.config.getGlobalPrefixOptions().exclude?.length ? "the global prefix's exclusions" : '',
      this.config.getVersioning() ? 'versioning' : '',
    ].filter(Boolean);
    if (skipped.length > 0) {
      this.logger.warn(`directRoute: the polls of ${this.options.path} skip ${skipped.join(', ')} (authorize still runs)`);
    }
  }
}
