import { ForbiddenException, GatewayTimeoutException } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { assertEndpointList, assertEndpointName } from '../endpoint-name.js';
import type { PollRequest, ResolvedPistachioOptions } from '../interfaces/index.js';
import { delivered } from './departure-signal.js';
import { toMultipart } from './multipart.js';
import type { EndpointPolls, PollAnswer } from './polls/endpoint-polls.interface.js';

/** The endpoints of a poll's `:endpoint`, checked: a comma cannot occur in an endpoint name, so `a,b,c` is a multiplexed poll. */
export function pollEndpoints(endpoint: string, maxEndpointsPerPoll: number): string[] {
  const endpoints = endpoint.split(',');
  if (endpoints.length === 1) {
    assertEndpointName(endpoints[0]);
  } else {
    assertEndpointList(endpoints, maxEndpointsPerPoll);
  }
  return endpoints;
}

/**
 * A poll of checked endpoints, as the framework's route and the direct route take it: what it asks (a module error
 * says what is wrong), whether `authorize` allows it, then its answer, undefined when nothing came in time.
 */
export async function answerPoll(
  polls: EndpointPolls,
  options: Pick<ResolvedPistachioOptions, 'authorize'>,
  poll: { endpoints: string[]; request: PollRequest; query: Record<string, unknown>; departure: AbortSignal; response: ServerResponse },
): Promise<PollAnswer | undefined> {
  const asked = polls.parse(poll.endpoints, poll.query, poll.request.headers);
  await authorize(options, poll.request, poll.endpoints);
  return polls.answer(poll.endpoints, asked, poll.departure, () => delivered(poll.response));
}

/** The answer of a poll, or the `504` when nothing came in time (outside the handling of its errors: never a `499`). */
export function answerOrTimeout(answer: PollAnswer | undefined): PollAnswer {
  if (answer === undefined) {
    throw new GatewayTimeoutException('Timeout waiting for response');
  }
  return answer;
}

/** Calls the `authorize` hook for each of `endpoints`, in turn; a refusal of one of several names it. */
export async function authorize({ authorize }: Pick<ResolvedPistachioOptions, 'authorize'>, request: PollRequest, endpoints: string[]): Promise<void> {
  for (const endpoint of endpoints) {
    if (authorize && !(await authorize(request, endpoint))) {
      throw new ForbiddenException(endpoints.length > 1 ? `Not allowed to poll endpoint "${endpoint}"` : 'Not allowed to poll this endpoint');
    }
  }
}

/** An answer as it is sent: its headers (the answer's and a single message's own), and one message or a batch as multipart/mixed. */
export function renderAnswer({ messages, batch, headers }: PollAnswer, contentType: string): { headers: Record<string, string>; type: string; body: Buffer } {
  const single = batch ? undefined : messages[0];
  const { type, body } = single ? { type: contentType, body: single.message } : toMultipart(messages, contentType);
  return { headers: { ...headers, ...single?.headers }, type, body };
}
