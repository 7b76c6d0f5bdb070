import { Injectable } from '@nestjs/common';
import { StreamNotOfferedError } from '../../errors/index.js';
import type { EndpointStreams } from './endpoint-streams.interface.js';

/** At least once: a stream is refused (406), before anything is taken; clients poll and acknowledge. */
@Injectable()
export class NoStreams implements EndpointStreams<never> {
  parse(): never {
    throw new StreamNotOfferedError('this endpoint delivers at least once; poll it, and acknowledge each message');
  }

  begin(): Promise<never> {
    return Promise.reject(new StreamNotOfferedError('this endpoint delivers at least once'));
  }

  run(): Promise<void> {
    return Promise.reject(new StreamNotOfferedError('this endpoint delivers at least once'));
  }
}
