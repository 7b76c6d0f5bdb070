import type { ServerResponse } from 'node:http';

/** The controllers of departure signals, for the receive that a signal ends (see `abortControllerOf`). */
const controllers = new WeakMap<AbortSignal, AbortController>();

/**
 * Aborts when the client goes away before its response was completely written. It watches the response, not the
 * request: the request's 'close' fires as soon as its body is read (Node >= 16). Shutdown may abort it too (see
 * `abortControllerOf`): whether the client left is `departed()`'s to say.
 */
export function departureSignal(response: ServerResponse): AbortSignal {
  const departure = new AbortController();
  const onClose = () => {
    if (departed(response)) {
      departure.abort();
    }
  };
  if (response.closed) {
    onClose();
  } else {
    response.once('close', onClose);
  }
  controllers.set(departure.signal, departure);
  return departure.signal;
}

/**
 * The controller of a departure signal, undefined for any other signal: a receive that a poll's departure ends aborts
 * through it (at shutdown too) instead of a second controller per poll, which costs an AbortSignal and a listener.
 */
export function abortControllerOf(signal: AbortSignal): AbortController | undefined {
  return controllers.get(signal);
}

/** Whether the client went away before its response was completely written. */
export function departed(response: ServerResponse): boolean {
  return response.closed && !response.writableFinished;
}

/** Resolves once the response is over: `true` if it was completely written, `false` if its client left first. */
export function delivered(response: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = () => resolve(!departed(response));
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
