/** Whether a request's `Accept` asks for a stream of events rather than a poll's answer. */
export function asksForStream(accept: string | undefined): boolean {
  return accept !== undefined && accept.split(',').some((type) => type.split(';')[0].trim().toLowerCase() === 'text/event-stream');
}
