import { describe, expect, it } from '@jest/globals';
import { BadRequestException, HttpException, HttpServer, ServiceUnavailableException } from '@nestjs/common';
import {
  AcknowledgementOutcomeUnknownError,
  AtLeastOnceRequiredError,
  EndpointBusyError,
  InvalidCursorError,
  InvalidEndpointError,
  InvalidOptionsError,
  InvalidQueryError,
  InvalidReceiptError,
  PistachioError,
  ReceiptRefusedError,
  RedisUnavailableError,
  ShuttingDownError,
  TooManyWaitersError,
  WrongKeyTypeError,
} from '../errors/index.js';
import { toHttpException } from './http-exception.js';

/** An adapter that keeps the headers the route sets. */
const adapter = (headers: Record<string, string>) =>
  ({ setHeader: (_response: object, name: string, value: string) => (headers[name] = value) }) as unknown as HttpServer;

/** A Node response as departed() reads it: `closed` before it was completely written means its client left. */
const response = (left = false) => ({ closed: left, writableFinished: false });

function answer(error: unknown, left = false) {
  const headers: Record<string, string> = {};
  return { exception: toHttpException(error, 7, adapter(headers), response(left)), headers };
}

describe('toHttpException', () => {
  // The route's contract (README, The HTTP contract): each refusal's status, and Retry-After on 429 and 503.
  it.each<{ error: PistachioError; status: number }>([
    { error: new InvalidEndpointError('a!'), status: 400 },
    { error: new InvalidQueryError('max', 'must be a whole number from 1 to 3'), status: 400 },
    { error: new InvalidCursorError('x'), status: 400 },
    { error: new InvalidReceiptError('x'), status: 400 },
    { error: new AtLeastOnceRequiredError('Acknowledging'), status: 400 },
    { error: new ReceiptRefusedError([{ receipt: '1.abcdefghijklmnop', reason: 'unknown' }]), status: 409 },
    { error: new EndpointBusyError('busy', 1), status: 429 },
    { error: new TooManyWaitersError(1), status: 503 },
    { error: new ShuttingDownError(), status: 503 },
    { error: new AcknowledgementOutcomeUnknownError('ns:jobs'), status: 503 },
    { error: new RedisUnavailableError('127.0.0.1:6379', 10_000), status: 503 },
    { error: new WrongKeyTypeError('ns:jobs', 'hash'), status: 500 },
  ])('answers $error.name with $status, its message, and the error as the cause', ({ error, status }) => {
    const { exception, headers } = answer(error) as { exception: HttpException; headers: Record<string, string> };

    expect(exception).toBeInstanceOf(HttpException);
    expect([exception.getStatus(), exception.message, exception.cause]).toEqual([status, error.message, error]);
    expect(headers).toEqual(status === 429 || status === 503 ? { 'Retry-After': '7' } : {});
  });

  it("gives Nest's own exception class where Nest has one, for the app's filters that catch by class", () => {
    expect(answer(new InvalidEndpointError('a!')).exception).toBeInstanceOf(BadRequestException);
    expect(answer(new ShuttingDownError()).exception).toBeInstanceOf(ServiceUnavailableException);
  });

  it('leaves an error without a status, or not of the module, as it is', () => {
    const startUp = new InvalidOptionsError('timeout', 'a number', 'x');
    const unforeseen = new Error('unforeseen');

    expect(answer(startUp)).toEqual({ exception: startUp, headers: {} });
    expect(answer(unforeseen)).toEqual({ exception: unforeseen, headers: {} });
  });

  it("answers 499 to a client that left, unless the module's error says more", () => {
    const left = answer(new Error('aborted'), true).exception as HttpException;

    expect([left.getStatus(), left.message]).toEqual([499, 'Client closed request']);
    expect((answer(new ShuttingDownError(), true).exception as HttpException).getStatus()).toBe(503);
  });
});
