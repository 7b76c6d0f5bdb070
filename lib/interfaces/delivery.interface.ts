/** A message as a receive handed it out, with what acknowledging it takes. */
export interface Delivery {
  /** The message as stored. */
  message: Buffer;
  /**
   * At-least-once: the token that acknowledges (`ack`) or gives back (`release`) this delivery, and only this one.
   * Absent at-most-once, where a message counts as delivered once handed out.
   */
  receipt?: string;
  /** 1 on the first delivery; more when the message came back unacknowledged. Always 1 at-most-once. */
  deliveryCount: number;
}

/** A delivery of a receive on several endpoints, with the endpoint it came from. */
export interface EndpointDelivery extends Delivery {
  endpoint: string;
}

/** Where the messages of an endpoint go after `maxDeliveries` deliveries without an acknowledgement. */
export interface DeadLetters {
  /** How many dead letters `endpoint` has. */
  count(endpoint: string): Promise<number>;
  /** Up to `limit` (default 100) dead letters of `endpoint` from `offset` (default 0), oldest first; removes nothing. */
  read(endpoint: string, range?: { offset?: number; limit?: number }): Promise<Buffer[]>;
  /** Moves every dead letter of `endpoint` back to the tail of its queue, to be delivered afresh; answers how many. */
  requeue(endpoint: string): Promise<number>;
  /** Deletes the dead letters of `endpoint`; answers how many there were. */
  purge(endpoint: string): Promise<number>;
}
