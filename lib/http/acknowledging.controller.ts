import { All, HttpCode, HttpStatus, Inject, Param, Req, Res } from '@nestjs/common';
import { assertEndpointName } from '../endpoint-name.js';
import type { PollRequest } from '../interfaces/index.js';
import { PistachioAcknowledgedQueue } from '../pistachio-acknowledged-queue.js';
import { InvalidReceiptError } from '../errors/index.js';
import { splitReceipt } from '../receipt.js';
import { PistachioController } from './pistachio.controller.js';

/** The route of a registration that delivers at least once: the polls, and `DELETE {path}/:endpoint/:receipt`. */
export class AcknowledgingController extends PistachioController {
  @Inject(PistachioAcknowledgedQueue) private readonly queue!: PistachioAcknowledgedQueue;

  /** Acknowledges one delivery without polling, `204`. */
  @All(':endpoint/:receipt')
  @HttpCode(HttpStatus.NO_CONTENT)
  async acknowledge(
    @Param('endpoint') endpoint: string,
    @Param('receipt') receipt: string,
    @Req() request: PollRequest,
    @Res({ passthrough: true }) response: object,
  ): Promise<void> {
    this.allow('DELETE', request, response);
    try {
      assertEndpointName(endpoint);
      const named = splitReceipt(receipt);
      if (named.endpoint !== undefined && named.endpoint !== endpoint) {
        throw new InvalidReceiptError(receipt);
      }
      await this.authorize(request, endpoint);
      await this.queue.ack(endpoint, named.receipt);
    } catch (error) {
      throw this.toHttpException(error, response);
    }
  }
}
