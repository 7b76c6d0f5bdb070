import { Inject, Injectable, Logger } from '@nestjs/common';
import { setImmediate as yieldToIo, setTimeout as delay } from 'node:timers/promises';
import { abortControllerOf } from './http/departure-signal.js';
import { EndpointBusyError, InvalidOptionsError, ShuttingDownError, TooManyWaitersError } from './errors/index.js';
import type { ResolvedPistachioOptions } from './interfaces/index.js';
import type { RegistrationMonitor } from './monitoring/registration-monitor.js';
import { PISTACHIO_MONITOR, PISTACHIO_OPTIONS } from './pistachio.constants.js';
import { assertDuration } from './pistachio.options.js';

/** What a receive waits for: how long, for how many messages, and until whose signal. */
export interface ReceiveLimits {
  timeout: number;
  max: number;
  signal: AbortSignal | undefined;
}

/**
 * The receives of one registration in progress, queues' or channels': each admitted within the waiting limits, ended
 * by its caller's signal or by shutdown; and the received messages still on their way to a client. Shutdown ends the
 * first and waits for the second, so that what a receive took goes back while the broker is open.
 */
@Injectable()
export class Receives {
  private readonly logger = new Logger('PistachioService');
  /** The receives in progress by endpoint, each with a controller of its own, so that shutdown can end them all. */
  private readonly receiving = new Map<string, Set<AbortController>>();
  /** The broker receives in progress: shutdown lets them settle (a pop in flight gives back what it took) first. */
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Received messages on their way to a client; each may still have to go back to its queue. */
  private readonly handingOver = new Set<Promise<void>>();
  private waiting = 0;
  private shuttingDown = false;

  constructor(
    @Inject(PISTACHIO_OPTIONS) private readonly options: ResolvedPistachioOptions,
    @Inject(PISTACHIO_MONITOR) monitor: RegistrationMonitor,
  ) {
    monitor.countWaitingWith(() => this.waiting);
  }

  /** Receives waiting now. */
  get count(): number {
    return this.waiting;
  }

  /** Receives waiting now on `endpoint`. */
  waitingOn(endpoint: string): number {
    return this.receiving.get(endpoint)?.size ?? 0;
  }

  /** The endpoints that receives wait on now. */
  endpoints(): IterableIterator<string> {
    return this.receiving.keys();
  }

  /**
   * Runs a receive of `endpoints` (one, or those of a multiplexed poll; for `operation`, named in errors) as one of
   * those waiting on each: its limits checked, admitted within the waiting limits, and ended by the caller's signal or
   * by shutdown.
   */
  async wait<T>(
    endpoints: string[],
    { timeout, max, signal }: ReceiveLimits,
    operation: string,
    receive: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    assertDuration(timeout, 'timeout', operation);
    if (!(Number.isInteger(max) && max >= 1 && max <= this.options.maxBatch)) {
      throw new InvalidOptionsError('max', `a whole number from 1 to maxBatch (${this.options.maxBatch})`, max, operation);
    }
    signal?.throwIfAborted();
    const receives = this.admit(endpoints);
    // A poll's departure signal has a controller that shutdown can abort too; any other signal, one of ours follows.
    const own = signal === undefined ? undefined : abortControllerOf(signal);
    const controller = own ?? new AbortController();
    const forwardAbort = own ? undefined : () => controller.abort(signal!.reason);
    if (forwardAbort) {
      signal?.addEventListener('abort', forwardAbort, { once: true });
    }
    receives.forEach((of) => of.add(controller));
    this.waiting += endpoints.length;
    const receiving = receive(controller.signal);
    this.inFlight.add(receiving);
    try {
      return await receiving;
    } finally {
      this.inFlight.delete(receiving);
      this.waiting -= endpoints.length;
      endpoints.forEach((endpoint, i) => {
        receives[i].delete(controller);
        if (receives[i].size === 0) {
          this.receiving.delete(endpoint);
        }
      });
      if (forwardAbort) {
        signal?.removeEventListener('abort', forwardAbort);
      }
    }
  }

  /** Keeps track of received messages on their way to a client until `handingOver` settles; shutdown waits for it. */
  follow(handingOver: Promise<void>): Promise<void> {
    const followed = handingOver.finally(() => this.handingOver.delete(followed));
    this.handingOver.add(followed);
    return followed;
  }

  /**
   * Ends every receive in progress with a ShuttingDownError (the route answers 503; their messages stay queued), lets
   * them settle, then waits for the messages on their way to clients, all within `shutdownGrace`.
   */
  async end(): Promise<void> {
    this.shuttingDown = true;
    const reason = new ShuttingDownError();
    for (const receives of this.receiving.values()) {
      receives.forEach((receive) => receive.abort(reason));
    }
    const grace = delay(this.options.shutdownGrace, 'late', { ref: false });
    const settled = Promise.allSettled(this.inFlight)
      // The polls just ended write their 503, and hand over what they received, before anything closes.
      .then(() => yieldToIo())
      .then(() => Promise.all(this.handingOver));
    if ((await Promise.race([settled, grace])) === 'late') {
      const receives = this.inFlight.size > 0 ? `, and ${this.inFlight.size} receives had not ended` : '';
      this.logger.warn(`${this.handingOver.size} messages were still on their way to clients at shutdown${receives}`);
    }
  }

  /** The receives of each of `endpoints`, once the receive is allowed to wait alongside them (on each it waits on). */
  private admit(endpoints: string[]): Set<AbortController>[] {
    if (this.shuttingDown) {
      throw new ShuttingDownError();
    }
    if (this.waiting + endpoints.length > this.options.maxWaiters) {
      throw new TooManyWaitersError(this.options.maxWaiters);
    }
    const busy = endpoints.find((endpoint) => this.waitingOn(endpoint) >= this.options.maxWaitersPerEndpoint);
    if (busy !== undefined) {
      throw new EndpointBusyError(busy, this.options.maxWaitersPerEndpoint);
    }
    return endpoints.map((endpoint) => {
      const receives = this.receiving.get(endpoint) ?? new Set<AbortController>();
      this.receiving.set(endpoint, receives);
      return receives;
    });
  }
}
