import { PistachioError } from './pistachio.error.js';

/** A publish refused because the queue holds `maxQueueLength` messages (with `overflow: 'reject'`). */
export class QueueFullError extends PistachioError {
  constructor(readonly key: string, maxQueueLength: number) {
    super(
      `The queue "${key}" is full (${maxQueueLength} messages): nobody polls it; ` +
        `raise maxQueueLength, or set overflow: 'drop-oldest'`,
    );
  }
}
