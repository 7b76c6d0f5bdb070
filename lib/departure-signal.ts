import type { ServerResponse } from 'node:http';

/**
 * Aborts when the client goes away before its response was completely written. It watches the response, not the
 * request: the request's 'close' fires as soon as its body is read (Node >= 16).
 */
export function departureSignal(response: ServerResponse): AbortSignal {
  const departure = new AbortController();
  const onClose = () => {
    if (!response.writableFinished) {
      departure.abort();
    }
  };
  if (response.closed) {
    onClose();
  } else {
    response.once('close', onClose);
  }
  return departure.signal;
}

/** Resolves once the response is over: `true` if it was completely written, `false` if its client left first. */
export function delivered(response: ServerResponse, departure: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = () => resolve(!departure.aborted);
    if (response.closed) {
      settle();
    } else {
      response.once('close', settle);
    }
  });
}

/** The Node response under an adapter's own: Express's is one already, Fastify's reply has it as `raw`. */
export function rawResponse(response: object): ServerResponse {
  return ('raw' in response ? response.raw : response) as ServerResponse;
}
