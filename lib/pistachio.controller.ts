import {
  All,
  BadRequestException,
  ForbiddenException,
  GatewayTimeoutException,
  HttpException,
  HttpStatus,
  Inject,
  InternalServerErrorException,
  MethodNotAllowedException,
  Param,
  Query,
  Req,
  Res,
  ServiceUnavailableException,
  StreamableFile,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { delivered, departureSignal, rawResponse } from './departure-signal.js';
import { assertEndpointName } from './endpoint-name.js';
import {
  EndpointBusyError,
  InvalidEndpointError,
  ShuttingDownError,
  TooManyWaitersError,
  WrongKeyTypeError,
} from './errors/index.js';
import type { PollRequest, ResolvedPistachioOptions } from './interfaces/index.js';
import { MIN_REQUEST_TIMEOUT, PISTACHIO_OPTIONS } from './pistachio.constants.js';
import { PistachioService } from './pistachio.service.js';

/** What nginx logs for a client that left before its answer; nobody receives it. */
const CLIENT_CLOSED_REQUEST = 499;

/**
 * The long-poll route, `GET {path}/:endpoint`. Each registration serves it through a subclass of its own whose path
 * comes from the options (see `pistachio.module-definition.ts`). It answers through Nest's pipeline (no bare
 * `@Res()`), so the app's guards, interceptors and filters apply; `route.middleware.ts` adds the headers that every
 * answer carries.
 */
export class PistachioController {
  constructor(
    @Inject(PistachioService) private readonly pistachio: PistachioService,
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Every method comes here, so that HEAD (which Express would give to a GET route) cannot pop a message. */
  @All(':endpoint')
  async poll(
    @Param('endpoint') endpoint: string,
    @Query('timeout') timeout: unknown,
    @Req() request: PollRequest,
    @Res({ passthrough: true }) response: object,
  ): Promise<StreamableFile> {
    const http = this.adapterHost.httpAdapter;
    if (http.getRequestMethod(request) !== 'GET') {
      http.setHeader(response, 'Allow', 'GET');
      throw new MethodNotAllowedException('Poll with GET');
    }
    const departure = departureSignal(rawResponse(response));
    let message: Buffer | null;
    try {
      assertEndpointName(endpoint);
      const wait = this.requestTimeout(timeout);
      await this.authorize(request, endpoint);
      message = await this.pistachio.receive(endpoint, { timeout: wait, signal: departure });
    } catch (error) {
      throw this.toHttpException(error, departure, response);
    }
    if (message === null) {
      throw new GatewayTimeoutException('Timeout waiting for response');
    }
    // Delivered once written; a client that leaves before that gives the message back.
    void this.pistachio.handOver(endpoint, message, delivered(rawResponse(response), departure));
    // A stream, unlike send(), never turns the answer into a 304 for a conditional request.
    return new StreamableFile(message, { type: this.options.contentType, length: message.length });
  }

  /** `?timeout=` in milliseconds, from MIN_REQUEST_TIMEOUT up to the module's timeout, which is also the default. */
  private requestTimeout(timeout: unknown): number {
    if (timeout === undefined) {
      return this.options.timeout;
    }
    const milliseconds = typeof timeout === 'string' && /^\d{1,10}$/.test(timeout) ? Number(timeout) : NaN;
    if (!(milliseconds >= MIN_REQUEST_TIMEOUT && milliseconds <= this.options.timeout)) {
      throw new BadRequestException(
        `timeout must be a whole number of milliseconds from ${MIN_REQUEST_TIMEOUT} to ${this.options.timeout}`,
      );
    }
    return milliseconds;
  }

  private async authorize(request: PollRequest, endpoint: string): Promise<void> {
    if (this.options.authorize && !(await this.options.authorize(request, endpoint))) {
      throw new ForbiddenException('Not allowed to poll this endpoint');
    }
  }

  private toHttpException(error: unknown, departure: AbortSignal, response: object): unknown {
    const retryLater = (exception: HttpException) => {
      this.adapterHost.httpAdapter.setHeader(response, 'Retry-After', String(this.options.retryAfter));
      return exception;
    };
    if (error instanceof InvalidEndpointError) {
      return new BadRequestException(error.message);
    }
    if (error instanceof ShuttingDownError || error instanceof TooManyWaitersError) {
      return retryLater(new ServiceUnavailableException(error.message));
    }
    if (error instanceof EndpointBusyError) {
      return retryLater(new HttpException(error.message, HttpStatus.TOO_MANY_REQUESTS));
    }
    if (error instanceof WrongKeyTypeError) {
      return new InternalServerErrorException(error.message);
    }
    if (departure.aborted) {
      return new HttpException('Client closed request', CLIENT_CLOSED_REQUEST);
    }
    return error;
  }
}
