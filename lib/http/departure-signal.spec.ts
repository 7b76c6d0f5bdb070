import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { abortControllerOf, delivered, departed, departureSignal } from './departure-signal.js';

/** A response that is open until `close()`, written whole or not. */
function response() {
  const emitter = Object.assign(new EventEmitter(), { closed: false, writableFinished: false });
  const close = (written: boolean) => {
    Object.assign(emitter, { closed: true, writableFinished: written });
    emitter.emit('close');
  };
  return { response: emitter as unknown as ServerResponse, close };
}

describe('departureSignal', () => {
  it('aborts when the client leaves before the answer was written, not after', () => {
    const left = response();
    const leaving = departureSignal(left.response);
    left.close(false);
    expect(leaving.aborted).toBe(true);
    expect(departed(left.response)).toBe(true);

    const served = response();
    const staying = departureSignal(served.response);
    served.close(true);
    expect(staying.aborted).toBe(false);
    expect(departed(served.response)).toBe(false);
  });

  it('has a controller that a receive can abort it with; other signals have none', () => {
    const signal = departureSignal(response().response);
    const reason = new Error('shutting down');
    abortControllerOf(signal)!.abort(reason);
    expect(signal.reason).toBe(reason);
    expect(abortControllerOf(new AbortController().signal)).toBeUndefined();
  });

  it('tells a delivery by the response, even when shutdown aborted the signal', async () => {
    const served = response();
    abortControllerOf(departureSignal(served.response))!.abort();
    const reached = delivered(served.response);
    served.close(true);
    await expect(reached).resolves.toBe(true);

    const left = response();
    const lost = delivered(left.response);
    left.close(false);
    await expect(lost).resolves.toBe(false);
  });
});
