import type { ResolvedPistachioOptions } from '../interfaces/index.js';

/** The bounds every broker keeps on each queue, so that an abandoned endpoint cannot grow forever. */
export type QueueLimits = Pick<ResolvedPistachioOptions, 'maxQueueLength' | 'overflow' | 'messageTtl' | 'deduplicationWindow'>;

/** How acknowledged delivery treats the messages it hands out (see Acknowledgements). */
export type AcknowledgementSettings = Pick<ResolvedPistachioOptions, 'visibilityTimeout' | 'maxDeliveries' | 'messageTtl'>;

export type BrokerSettings = QueueLimits & AcknowledgementSettings & Pick<ResolvedPistachioOptions, 'delivery'>;
