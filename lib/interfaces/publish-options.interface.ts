/** How a message is published to a queue (`PistachioService.publish`); broadcast channels take none of these. */
export interface PublishOptions {
  /**
   * Stores the message only if no publish to this endpoint carried the same id within `deduplicationWindow`: a
   * publisher that retries after a timeout or a crash does not queue it twice. 1 to 128 characters.
   */
  deduplicationId?: string;
  /**
   * Milliseconds until the message can be received (0 to `maxDelay`): it waits beside the queue until then, counted
   * toward `maxQueueLength` but not by `length()`, and joins the queue's tail in the order messages came due.
   */
  delay?: number;
  /**
   * Milliseconds the message may wait to be received (1 to `messageTtl`), counted from when it can be (its publish, or
   * the end of its `delay`): still undelivered then, it is never delivered, but dropped and counted as `expired`. At
   * least once it bounds the wait for the first delivery; a message handed out is delivered again as ever.
   */
  ttl?: number;
}
