import { InvalidQueryError } from '../../errors/index.js';

/** `?timeout=`, `?max=` and `?ack=` are a poll's: a stream refuses them with a 400 that says so. */
export function refusePollQuery(query: Record<string, unknown>): void {
  const parameter = ['timeout', 'max', 'ack'].find((name) => query[name] !== undefined);
  if (parameter !== undefined) {
    throw new InvalidQueryError(parameter, 'is for polls: a stream (text/event-stream) sends every message as an event, for as long as it lasts');
  }
}
