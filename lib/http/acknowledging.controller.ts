import { All, HttpCode, HttpStatus, Inject, Param, Req, Res } from '@nestjs/common';
import { assertEndpointName } from '../endpoint-name.js';
import type { PollRequest } from '../interfaces/index.js';
import { PistachioAcknowledgedQueue } from '../pistachio-acknowledged-queue.js';
import { InvalidReceiptError } from '../errors/index.js';
import { splitReceipt } from '../receipt.js';
import { PistachioController } from './pistachio.controller.js';
import { parseVisibility } from './polls/poll-query.js';

/**
 * The route of a registration that delivers at least once: the polls, `DELETE {path}/:endpoint/:receipt` that
 * acknowledges a delivery, and `PATCH {path}/:endpoint/:receipt?visibility=<ms>` that keeps it claimed longer.
 */
export class AcknowledgingController extends PistachioController {
  @Inject(PistachioAcknowledgedQueue) private readonly queue!: PistachioAcknowledgedQueue;

  /** Acknowledges (`DELETE`) or extends (`PATCH`) one delivery without polling, `204`. */
  @All(':endpoint/:receipt')
  @HttpCode(HttpStatus.NO_CONTENT)
  async settle(
    @Param('endpoint') endpoint: string,
    @Param('receipt') receipt: string,
    @Req() request: PollRequest,
    @Res({ passthrough: true }) response: object,
  ): Promise<void> {
    const method = this.allow(['DELETE', 'PATCH'], request, response);
    try {
      assertEndpointName(endpoint);
      const named = splitReceipt(receipt);
      if (named.endpoint !== undefined && named.endpoint !== endpoint) {
        throw new InvalidReceiptError(receipt);
      }
      const { query } = request as PollRequest & { query: Record<string, unknown> };
      const visibility = method === 'PATCH' ? parseVisibility(query.visibility, this.options.maxVisibilityTimeout) : undefined;
      await this.authorize(request, [endpoint]);
      await (visibility === undefined
        ? this.queue.ack(endpoint, named.receipt)
        : this.queue.extend(endpoint, named.receipt, visibility));
    } catch (error) {
      throw this.toHttpException(error, response);
    }
  }
}
