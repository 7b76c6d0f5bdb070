import {
  All,
  BadRequestException,
  ConflictException,
  ForbiddenException,
  GatewayTimeoutException,
  HttpCode,
  HttpException,
  HttpStatus,
  Inject,
  InternalServerErrorException,
  MethodNotAllowedException,
  NotFoundException,
  Param,
  Query,
  Req,
  Res,
  ServiceUnavailableException,
  StreamableFile,
  UseInterceptors,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { delivered, departureSignal, rawResponse } from './departure-signal.js';
import { assertEndpointName } from './endpoint-name.js';
import {
  AcknowledgementOutcomeUnknownError,
  AtLeastOnceRequiredError,
  EndpointBusyError,
  InvalidEndpointError,
  InvalidReceiptError,
  ReceiptRefusedError,
  RedisUnavailableError,
  ShuttingDownError,
  TooManyWaitersError,
  WrongKeyTypeError,
} from './errors/index.js';
import type { Delivery, PollRequest, ResolvedPistachioOptions } from './interfaces/index.js';
import { toMultipart } from './multipart.js';
import { PollMonitorInterceptor } from './monitoring/poll-monitor.interceptor.js';
import { CLIENT_CLOSED_REQUEST, PISTACHIO_OPTIONS } from './pistachio.constants.js';
import { PistachioService } from './pistachio.service.js';
import { parsePollQuery } from './poll-query.js';
import { parseReceipt } from './receipt.js';

/**
 * The long-poll route, `GET {path}/:endpoint`, and at least once `DELETE {path}/:endpoint/:receipt`. Each
 * registration serves it through a subclass of its own whose path comes from the options (see
 * `pistachio.route.ts`). It answers through Nest's pipeline (no bare `@Res()`), so the app's guards, interceptors and
 * filters apply; `route.middleware.ts` adds the headers that every answer carries.
 */
export class PistachioController {
  constructor(
    @Inject(PistachioService) private readonly pistachio: PistachioService,
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Every method comes here, so that HEAD (which Express would give to a GET route) cannot pop a message. */
  @All(':endpoint')
  @UseInterceptors(PollMonitorInterceptor)
  async poll(
    @Param('endpoint') endpoint: string,
    @Query() query: Record<string, unknown>,
    @Req() request: PollRequest,
    @Res({ passthrough: true }) response: object,
  ): Promise<StreamableFile> {
    this.allow('GET', request, response);
    const departure = departureSignal(rawResponse(response));
    let deliveries: Delivery[];
    let max: number | undefined;
    try {
      assertEndpointName(endpoint);
      const asked = parsePollQuery(query, this.options);
      max = asked.max;
      await this.authorize(request, endpoint);
      // Refused acknowledgements end the request before anything is popped.
      const ack = asked.acks.length > 0 ? asked.acks : undefined;
      deliveries = await this.pistachio.receiveDeliveries(endpoint, { timeout: asked.timeout, signal: departure, max, ack });
    } catch (error) {
      throw this.toHttpException(error, departure, response);
    }
    if (deliveries.length === 0) {
      throw new GatewayTimeoutException('Timeout waiting for response');
    }
    // Delivered once written; a client that leaves before that gives at-most-once messages back.
    void this.pistachio.handOver(endpoint, deliveries, delivered(rawResponse(response), departure));
    return max === undefined ? this.single(deliveries[0], response) : this.batch(deliveries);
  }

  /** At least once: acknowledges one delivery without polling, `204`. */
  @All(':endpoint/:receipt')
  @HttpCode(HttpStatus.NO_CONTENT)
  async acknowledge(
    @Param('endpoint') endpoint: string,
    @Param('receipt') receipt: string,
    @Req() request: PollRequest,
    @Res({ passthrough: true }) response: object,
  ): Promise<void> {
    if (this.options.delivery === 'at-most-once') {
      throw new NotFoundException('Nothing to acknowledge: this route delivers at most once');
    }
    this.allow('DELETE', request, response);
    try {
      assertEndpointName(endpoint);
      parseReceipt(receipt);
      await this.authorize(request, endpoint);
      await this.pistachio.ack(endpoint, receipt);
    } catch (error) {
      throw this.toHttpException(error, undefined, response);
    }
  }

  private allow(method: string, request: PollRequest, response: object): void {
    const http = this.adapterHost.httpAdapter;
    if (http.getRequestMethod(request) !== method) {
      http.setHeader(response, 'Allow', method);
      throw new MethodNotAllowedException(`Use ${method} here`);
    }
  }

  /** One message as the body. A stream, unlike send(), never turns the answer into a 304 for a conditional request. */
  private single({ message, receipt, deliveryCount }: Delivery, response: object): StreamableFile {
    if (receipt !== undefined) {
      this.adapterHost.httpAdapter.setHeader(response, 'Pistachio-Receipt', receipt);
      this.adapterHost.httpAdapter.setHeader(response, 'Pistachio-Delivery-Count', String(deliveryCount));
    }
    return new StreamableFile(message, { type: this.options.contentType, length: message.length });
  }

  private batch(deliveries: Delivery[]): StreamableFile {
    const { type, body } = toMultipart(deliveries, this.options.contentType);
    return new StreamableFile(body, { type, length: body.length });
  }

  private async authorize(request: PollRequest, endpoint: string): Promise<void> {
    if (this.options.authorize && !(await this.options.authorize(request, endpoint))) {
      throw new ForbiddenException('Not allowed to poll this endpoint');
    }
  }

  private toHttpException(error: unknown, departure: AbortSignal | undefined, response: object): unknown {
    const retryLater = (exception: HttpException) => {
      this.adapterHost.httpAdapter.setHeader(response, 'Retry-After', String(this.options.retryAfter));
      return exception;
    };
    if (
      error instanceof InvalidEndpointError ||
      error instanceof InvalidReceiptError ||
      error instanceof AtLeastOnceRequiredError
    ) {
      return new BadRequestException(error.message);
    }
    if (error instanceof ReceiptRefusedError) {
      return new ConflictException(error.message);
    }
    if (
      error instanceof ShuttingDownError ||
      error instanceof TooManyWaitersError ||
      error instanceof AcknowledgementOutcomeUnknownError ||
      error instanceof RedisUnavailableError
    ) {
      // The cause tells the poll monitor a shutdown from a refusal.
      return retryLater(new ServiceUnavailableException(error.message, { cause: error }));
    }
    if (error instanceof EndpointBusyError) {
      return retryLater(new HttpException(error.message, HttpStatus.TOO_MANY_REQUESTS));
    }
    if (error instanceof WrongKeyTypeError) {
      return new InternalServerErrorException(error.message);
    }
    if (departure?.aborted) {
      return new HttpException('Client closed request', CLIENT_CLOSED_REQUEST);
    }
    return error;
  }
}
