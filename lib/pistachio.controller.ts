import {
  All,
  BadRequestException,
  GatewayTimeoutException,
  HttpException,
  Inject,
  Logger,
  MethodNotAllowedException,
  Param,
  Req,
  Res,
  ServiceUnavailableException,
  StreamableFile,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { departureSignal, rawResponse } from './departure-signal.js';
import { InvalidEndpointError, ShuttingDownError } from './errors/index.js';
import type { ResolvedPistachioOptions } from './interfaces/index.js';
import { PISTACHIO_OPTIONS } from './pistachio.constants.js';
import { PistachioService } from './pistachio.service.js';

/** What nginx logs for a client that left before its answer; nobody receives it. */
const CLIENT_CLOSED_REQUEST = 499;

/**
 * The long-poll route, `GET {path}/:endpoint`. Each registration serves it through a subclass of its own whose path
 * comes from the options (see `pistachio.module-definition.ts`). It answers through Nest's pipeline (no bare
 * `@Res()`), so the app's guards, interceptors and filters apply.
 */
export class PistachioController {
  private readonly logger = new Logger('PistachioController');

  constructor(
    @Inject(PistachioService) private readonly pistachio: PistachioService,
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(HttpAdapterHost) private readonly adapterHost: HttpAdapterHost,
  ) {}

  /** Every method comes here, so that HEAD (which Express would give to a GET route) cannot pop a message. */
  @All(':endpoint')
  async poll(
    @Param('endpoint') endpoint: string,
    @Req() request: object,
    @Res({ passthrough: true }) response: object,
  ): Promise<StreamableFile> {
    const http = this.adapterHost.httpAdapter;
    http.setHeader(response, 'Cache-Control', 'no-store');
    if (http.getRequestMethod(request) !== 'GET') {
      http.setHeader(response, 'Allow', 'GET');
      throw new MethodNotAllowedException('Poll with GET');
    }
    const departure = departureSignal(rawResponse(response));
    const message = await this.receive(endpoint, departure, response);
    if (message === null) {
      throw new GatewayTimeoutException('Timeout waiting for response');
    }
    // Delivered once written; a client that leaves before that hands the message on.
    const handOn = () => this.requeue(endpoint, message);
    if (departure.aborted) {
      handOn();
    } else {
      departure.addEventListener('abort', handOn, { once: true });
    }
    // A stream, unlike send(), never turns the answer into a 304 for a conditional request.
    return new StreamableFile(message, { type: this.options.contentType, length: message.length });
  }

  private async receive(endpoint: string, departure: AbortSignal, response: object): Promise<Buffer | null> {
    try {
      return await this.pistachio.receive(endpoint, { signal: departure });
    } catch (error) {
      if (error instanceof InvalidEndpointError) {
        throw new BadRequestException(error.message);
      }
      if (error instanceof ShuttingDownError) {
        this.adapterHost.httpAdapter.setHeader(response, 'Retry-After', String(this.options.retryAfter));
        throw new ServiceUnavailableException(error.message);
      }
      if (departure.aborted) {
        throw new HttpException('Client closed request', CLIENT_CLOSED_REQUEST);
      }
      throw error;
    }
  }

  private requeue(endpoint: string, message: Buffer): void {
    this.pistachio.requeue(endpoint, message).catch((error: unknown) => {
      this.logger.error(`A message for "${endpoint}" whose client left could not be requeued`, error);
    });
  }
}
