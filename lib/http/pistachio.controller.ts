import type { ServerResponse } from 'node:http';
import {
  All,
  Inject,
  Logger,
  MethodNotAllowedException,
  Req,
  Res,
  StreamableFile,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { answerBody } from './answer-body.js';
import { departureSignal, rawResponse } from './departure-signal.js';
import { toHttpException } from './http-exception.js';
import type { PollRequest, ResolvedPistachioOptions } from '../interfaces/index.js';
import { answerOrTimeout, answerPoll, authorize, pollEndpoints, renderAnswer } from './poll-answer.js';
import { monitoredPoll } from '../monitoring/monitored-poll.js';
import type { RegistrationMonitor } from '../monitoring/registration-monitor.js';
import { PISTACHIO_MONITOR, PISTACHIO_OPTIONS, PISTACHIO_POLLS, PISTACHIO_STREAMS, STREAM_MAX_BUFFERED } from '../pistachio.constants.js';
import { Receives } from '../receives.js';
import { ShuttingDownError } from '../errors/index.js';
import type { EndpointStreams } from './streams/endpoint-streams.interface.js';
import { asksForStream } from './streams/asks-for-stream.js';
import { EventStream } from './streams/event-stream.js';
import type { EndpointPolls, PollAnswer } from './polls/endpoint-polls.interface.js';

/**
 * The long-poll route, `GET {path}/:endpoint`; its endpoints answer as queues or as broadcast channels
 * (`EndpointPolls`), the rest of the route is the same for both (at least once, AcknowledgingController adds `DELETE` and `PATCH`). Each
 * registration serves it through a subclass of its own whose path comes from the options (see
 * `pistachio.route.ts`). It answers through Nest's pipeline (no bare `@Res()`), so the app's guards, interceptors and
 * filters apply; `route.middleware.ts` adds the headers that every answer carries (on Fastify, as a hook of the route's
 * own: `fastify-route-hook.ts`).
 */
export class PistachioController {
  private readonly logger = new Logger('PistachioController');
  constructor(
    @Inject(PISTACHIO_POLLS) private readonly polls: EndpointPolls,
    @Inject(PISTACHIO_OPTIONS) protected readonly options: ResolvedPistachioOptions,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
    @Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor,
    @Inject(PISTACHIO_STREAMS) private readonly streams: EndpointStreams,
    @Inject(Receives) private readonly receives: Receives,
  ) {}

  /**
   * Every method comes here, so that HEAD (which Express would give to a GET route) cannot pop a message. The
   * endpoint and query are read from the request rather than by parameter decorators: no pipe of the app runs on
   * them, so none can refuse a poll where the monitor, no longer an interceptor, would not see it.
   */
  @All(':endpoint')
  poll(@Req() request: PollRequest, @Res({ passthrough: true }) response: object): Promise<Buffer | StreamableFile> {
    return monitoredPoll(
      this.monitor,
      () => this.answer(request, response),
      (answer) => (answer instanceof StreamableFile && answer.getStream() instanceof EventStream ? 'stream' : 'message'),
    );
  }

  private async answer(request: PollRequest, response: object): Promise<Buffer | StreamableFile> {
    const { params, query } = request as PollRequest & { params: { endpoint: string }; query: Record<string, unknown> };
    this.allow(['GET'], request, response);
    const raw = rawResponse(response);
    const departure = departureSignal(raw);
    let answer: PollAnswer | undefined;
    try {
      const endpoints = pollEndpoints(params.endpoint, this.options.maxEndpointsPerPoll);
      if (asksForStream(request.headers.accept)) {
        return await this.stream(endpoints, request, response, raw, departure);
      }
      answer = await answerPoll(this.polls, this.options, { endpoints, request, query, departure, response: raw });
    } catch (error) {
      throw this.toHttpException(error, response);
    }
    return this.render(answerOrTimeout(answer), response);
  }

  /**
   * Answers `200 text/event-stream` once the stream is admitted (counted as a receive on each of its endpoints, within the
   * waiting limits, until it ends), and sends its events for as long as it lasts: until the client leaves, shutdown,
   * `streamMaxDuration`, or the client falls too far behind.
   */
  private async stream(
    endpoints: string[],
    request: PollRequest,
    response: object,
    raw: ServerResponse,
    departure: AbortSignal,
  ): Promise<StreamableFile> {
    const { query } = request as PollRequest & { query: Record<string, unknown> };
    const asked = this.streams.parse(endpoints, query, request.headers);
    await this.authorize(request, endpoints);
    const begun = await this.streams.begin(endpoints, asked);
    const { heartbeat, retryAfter, streamMaxDuration } = this.options;
    const stream = new EventStream(raw, { heartbeat, retry: retryAfter * 1_000, maxBuffered: STREAM_MAX_BUFFERED });
    const lifetime = AbortSignal.any([departure, AbortSignal.timeout(streamMaxDuration)]);
    let admitted!: () => void;
    const admission = new Promise<void>((resolve) => (admitted = resolve));
    const running = this.receives.wait(endpoints, { timeout: streamMaxDuration, max: 1, signal: lifetime }, 'stream', (signal) => {
      admitted();
      return this.streams.run(endpoints, begun, stream, signal);
    });
    await Promise.race([admission, running]);
    running.then(
      () => stream.finish(),
      (error: unknown) => {
        if (!(error instanceof ShuttingDownError) && !lifetime.aborted) {
          this.logger.warn(`A stream of "${endpoints.join(',')}" ended on an error: ${(error as Error).message}`);
        }
        stream.finish();
      },
    );
    this.adapterHost.httpAdapter.setHeader(response, 'X-Accel-Buffering', 'no');
    return new StreamableFile(stream, { type: 'text/event-stream' });
  }

  /** The request's method, one of `methods`; any other is a 405 with `Allow`. */
  protected allow(methods: string[], request: PollRequest, response: object): string {
    const http = this.adapterHost.httpAdapter;
    const method = http.getRequestMethod(request);
    if (!methods.includes(method)) {
      http.setHeader(response, 'Allow', methods.join(', '));
      throw new MethodNotAllowedException(`Use ${methods.join(' or ')} here`);
    }
    return method;
  }

  /** One message as the body, or a batch as multipart/mixed, with their headers. */
  private render(answer: PollAnswer, response: object): Buffer | StreamableFile {
    const http = this.adapterHost.httpAdapter;
    const { headers, type, body } = renderAnswer(answer, this.options.contentType);
    for (const [name, value] of Object.entries(headers)) {
      http.setHeader(response, name, value);
    }
    return answerBody(http, response, body, type);
  }

  protected authorize(request: PollRequest, endpoints: string[]): Promise<void> {
    return authorize(this.options, request, endpoints);
  }

  protected toHttpException(error: unknown, response: object): unknown {
    return toHttpException(error, this.options.retryAfter, this.adapterHost.httpAdapter, response);
  }
}
