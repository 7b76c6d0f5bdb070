/** Redis's error replies that the module answers in its own words, recognised by their codes. */

/** A command met a key of another type (`WRONGTYPE …`), e.g. a string that another client SET under an endpoint. */
export function isWrongType(error: unknown): boolean {
  return hasCode(error, 'WRONGTYPE');
}

/** Redis refused a command that would grow memory past `maxmemory` (`OOM …`). */
export function isOutOfMemory(error: unknown): boolean {
  return hasCode(error, 'OOM');
}

function hasCode(error: unknown, code: string): boolean {
  return error instanceof Error && error.message.startsWith(`${code} `);
}
