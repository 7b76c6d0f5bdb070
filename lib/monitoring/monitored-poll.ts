import { HttpException, HttpStatus } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { ShuttingDownError } from '../errors/index.js';
import { CLIENT_CLOSED_REQUEST } from '../pistachio.constants.js';
import type { PollOutcome } from './delivery-events.interface.js';
import type { RegistrationMonitor } from './registration-monitor.js';

/**
 * Runs a poll of the route and reports how it ended (`answered` tells which outcome an answer is), and how long it
 * took, to the registration's monitor. A plain
 * wrapper rather than an interceptor: the route then runs no interceptor of its own, and Nest skips its rxjs
 * pipeline for it, about a tenth of a poll's CPU.
 */
export async function monitoredPoll<T>(
  monitor: RegistrationMonitor,
  poll: () => Promise<T>,
  answered: (answer: T) => PollOutcome = () => 'message',
): Promise<T> {
  const arrival = performance.now();
  const record = (outcome: PollOutcome) => monitor.polled(outcome, (performance.now() - arrival) / 1_000);
  try {
    const answer = await poll();
    record(answered(answer));
    return answer;
  } catch (error) {
    record(outcomeOf(error));
    throw error;
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
