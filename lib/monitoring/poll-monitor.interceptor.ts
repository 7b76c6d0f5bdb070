import { CallHandler, HttpException, HttpStatus, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { Observable, tap } from 'rxjs';
import { ShuttingDownError } from '../errors/index.js';
import { CLIENT_CLOSED_REQUEST, PISTACHIO_MONITOR } from '../pistachio.constants.js';
import type { PollOutcome } from './delivery-events.interface.js';
import type { RegistrationMonitor } from './registration-monitor.js';

/** Reports how each poll of the route ended, and how long it took from its arrival, to the registration's monitor. */
@Injectable()
export class PollMonitorInterceptor implements NestInterceptor {
  constructor(@Inject(PISTACHIO_MONITOR) private readonly monitor: RegistrationMonitor) {}

  intercept(_: unknown, next: CallHandler): Observable<unknown> {
    const arrival = performance.now();
    const record = (outcome: PollOutcome) => this.monitor.polled(outcome, (performance.now() - arrival) / 1_000);
    return next.handle().pipe(
      tap({
        next: () => record('message'),
        error: (error: unknown) => record(outcomeOf(error)),
      }),
    );
  }
}

function outcomeOf(error: unknown): PollOutcome {
  const status = error instanceof HttpException ? error.getStatus() : HttpStatus.INTERNAL_SERVER_ERROR;
  if (status === HttpStatus.GATEWAY_TIMEOUT) {
    return 'timeout';
  }
  if (status === CLIENT_CLOSED_REQUEST) {
    return 'departed';
  }
  return (error as Error).cause instanceof ShuttingDownError ? 'shutdown' : 'refused';
}
