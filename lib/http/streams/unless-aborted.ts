/** What `pending` resolves to, or `undefined` when it failed because `signal` aborted: the stream is over, not broken. */
export async function unlessAborted<T>(pending: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  try {
    return await pending;
  } catch (error) {
    if (signal.aborted) {
      return undefined;
    }
    throw error;
  }
}
