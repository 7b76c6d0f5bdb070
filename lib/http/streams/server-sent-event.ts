import { isUtf8 } from 'node:buffer';

/** What one event of a stream says: its message (or a gap's oldest id), and the fields that name it. */
export interface ServerSentEvent {
  /** The endpoint it comes from, given on a stream of several: the event's type names it. */
  endpoint?: string;
  /** A gap signal (messages after the cursor are gone; `data` is the oldest id retained) rather than a message. */
  gap?: boolean;
  /** The position a reconnect resumes after (`Last-Event-ID`). */
  id?: string;
  data: Buffer;
}

/**
 * One event as `text/event-stream` lines (WHATWG HTML, server-sent events), ending in the blank line that dispatches it.
 * A message's lines become `data:` lines (a client joins them with LF, whatever their ends were); a message that is
 * not valid UTF-8 goes base64. Its type: none for a message of a stream of one endpoint (`EventSource`'s `onmessage`
 * gets it), else `binary` or `gap`; on a stream of several, the endpoint, `<endpoint>~binary` or `<endpoint>~gap` (`~`
 * cannot occur in an endpoint name, so no endpoint's type is another's).
 */
export function formatEvent({ endpoint, gap = false, id, data }: ServerSentEvent): string {
  const text = isUtf8(data);
  const kind = gap ? 'gap' : text ? undefined : 'binary';
  const type = [endpoint, kind].filter((part) => part !== undefined).join('~') || undefined;
  const lines = text ? data.toString('utf8').split(/\r\n|\r|\n/) : [data.toString('base64')];
  return `${type === undefined ? '' : `event: ${type}\n`}${id === undefined ? '' : `id: ${id}\n`}${lines.map((line) => `data: ${line}\n`).join('')}\n`;
}

/** How long a client waits before it reconnects, sent first so that the stream's headers go at once. */
export function formatRetry(ms: number): string {
  return `retry: ${ms}\n\n`;
}

/** A comment line: a client ignores it, a proxy sees traffic and keeps the stream open. */
export const HEARTBEAT = ':\n\n';
