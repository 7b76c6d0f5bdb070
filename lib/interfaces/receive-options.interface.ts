export interface ReceiveOptions {
  /** Milliseconds to wait for a message before resolving `null`. Default: the module's `timeout`. */
  timeout?: number;
  /** Aborting it rejects the receive at once with the signal's reason; nothing is consumed. */
  signal?: AbortSignal;
}

export interface ReceiveDeliveriesOptions extends ReceiveOptions {
  /** Most messages to receive: it waits for the first, then takes those already queued. Default 1, at most `maxBatch`. */
  max?: number;
}

export interface AcknowledgedReceiveOptions extends ReceiveDeliveriesOptions {
  /** Receipts to acknowledge first, all or none, as `ack()` does; a refusal rejects the receive. */
  ack?: string | string[];
}
