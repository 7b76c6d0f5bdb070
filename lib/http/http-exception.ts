import {
  BadRequestException,
  ConflictException,
  HttpException,
  HttpStatus,
  InternalServerErrorException,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { HttpExceptionOptions, HttpServer } from '@nestjs/common';
import { departed, rawResponse } from './departure-signal.js';
import { PistachioError } from '../errors/index.js';
import { CLIENT_CLOSED_REQUEST } from '../pistachio.constants.js';

type ExceptionClass = new (message: string, options: HttpExceptionOptions) => HttpException;

/** Nest's own exception of a status, where it has one: an app's filter that catches it by its class sees the route's. */
const NEST_EXCEPTIONS: Partial<Record<number, ExceptionClass>> = {
  [HttpStatus.BAD_REQUEST]: BadRequestException,
  [HttpStatus.CONFLICT]: ConflictException,
  [HttpStatus.INTERNAL_SERVER_ERROR]: InternalServerErrorException,
  [HttpStatus.SERVICE_UNAVAILABLE]: ServiceUnavailableException,
};

/**
 * What the route throws for an error of a poll or an acknowledgement. A module error with a status becomes the
 * HttpException of that status and message, caused by the error (the app's filters and the poll monitor see which),
 * `Retry-After` set on the response when it asks to retry later; a client that left gets 499; anything else (the
 * app's own HttpException, an unforeseen error) goes on as it is.
 */
export function toHttpException(error: unknown, retryAfter: number, http: Pick<HttpServer, 'setHeader'>, response: object): unknown {
  if (error instanceof PistachioError && error.status !== undefined) {
    if (error.retryLater) {
      http.setHeader(response, 'Retry-After', String(retryAfter));
    }
    const options = { cause: error };
    const Exception = NEST_EXCEPTIONS[error.status];
    return Exception ? new Exception(error.message, options) : new HttpException(error.message, error.status, options);
  }
  if (departed(rawResponse(response))) {
    return new HttpException('Client closed request', CLIENT_CLOSED_REQUEST);
  }
  return error;
}
