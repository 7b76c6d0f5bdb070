/** Redis's error replies that the module answers in its own words, recognised by their codes. */

/** A command met a key of another type (`WRONGTYPE …`), e.g. a string that another client SET under an endpoint. */
export function isWrongType(error: unknown): boolean {
  return hasCode(error, 'WRONGTYPE');
}

/** Redis refused a command that would grow memory past `maxmemory` (`OOM …`). */
export function isOutOfMemory(error: unknown): boolean {
  return hasCode(error, 'OOM');
}

/**
 * A replica refused the write without running it (`READONLY …`): the node this connection reached is a master no
 * longer (a Sentinel failover while it stayed connected, or an old master that came back and was made a replica).
 */
export function wasRefusedByReplica(error: unknown): boolean {
  return hasCode(error, 'READONLY');
}

/** A node answered a command for a slot it does not serve: `MOVED <slot> <address>`. */
export function isMoved(error: unknown): boolean {
  return hasCode(error, 'MOVED');
}

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Error && error.message.startsWith(`${code} `);
}
