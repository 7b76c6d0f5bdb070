export interface BrokerReceiveOptions {
  /** Milliseconds to wait for a message before resolving `null`. */
  timeout: number;
  /** Aborting it rejects the receive with the signal's reason and removes its waiter; nothing is consumed. */
  signal?: AbortSignal;
}

/**
 * Storage and delivery of the queues. Every key is `<namespace>:<endpoint>`; each queue is FIFO, its waiters are
 * served FIFO, and each message goes to exactly one receiver. `test/` holds the spec every broker passes.
 */
export interface Broker {
  /** Appends a message to the tail of the queue, or hands it to the oldest waiter. */
  publish(key: string, message: Buffer): Promise<void>;
  /** The next message of the queue, waiting up to `timeout`; `null` when none came in time. */
  receive(key: string, options: BrokerReceiveOptions): Promise<Buffer | null>;
  /** Gives back a received message that could not be delivered: to the oldest waiter, else the head of the queue. */
  requeue(key: string, message: Buffer): Promise<void>;
  /** How many messages wait in the queue. */
  length(key: string): Promise<number>;
  /** Stops reading, gives back what a read took meanwhile, and releases what the broker holds; nothing queued is lost. */
  close(): Promise<void>;
}
