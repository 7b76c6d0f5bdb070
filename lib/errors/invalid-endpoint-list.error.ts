import { HttpStatus } from '@nestjs/common';
import { PistachioError } from './pistachio.error.js';

/** A list of endpoints to wait on (a multiplexed poll) that names one twice, or too few or too many. */
export class InvalidEndpointListError extends PistachioError {
  override readonly status = HttpStatus.BAD_REQUEST;

  constructor(
    readonly endpoints: string[],
    maxEndpoints: number,
  ) {
    const repeated = endpoints.find((endpoint, i) => endpoints.indexOf(endpoint) !== i);
    super(
      maxEndpoints < 2
        ? 'This route takes polls of one endpoint at a time'
        : repeated === undefined
          ? `A multiplexed poll names 2 to ${maxEndpoints} endpoints, separated by commas; this one names ${endpoints.length}`
          : `Endpoint "${repeated}" is named twice in the list`,
    );
  }
}
