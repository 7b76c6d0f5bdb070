import type { ResolvedPistachioOptions } from '../interfaces/index.js';

/** The bounds every broker keeps on each queue, so that an abandoned endpoint cannot grow forever. */
export type QueueLimits = Pick<ResolvedPistachioOptions, 'maxQueueLength' | 'overflow' | 'messageTtl'>;
