import { isUtf8 } from 'node:buffer';

/** What one event of a stream says: its message, and the fields that name it. */
export interface ServerSentEvent {
  /** The event's type; absent, `EventSource`'s `onmessage` gets it. */
  event?: string;
  /** The position a reconnect resumes after (`Last-Event-ID`). */
  id?: string;
  data: Buffer;
}

/**
 * One event as `text/event-stream` lines (WHATWG HTML, server-sent events), ending in the blank line that dispatches it.
 * A message's lines become `data:` lines (a client joins them with LF, whatever their ends were); a message that is
 * not valid UTF-8 goes as `event: binary`, its data in base64.
 */
export function formatEvent({ event, id, data }: ServerSentEvent): string {
  const text = isUtf8(data);
  const type = text ? event : 'binary';
  const lines = text ? data.toString('utf8').split(/\r\n|\r|\n/) : [data.toString('base64')];
  return `${type === undefined ? '' : `event: ${type}\n`}${id === undefined ? '' : `id: ${id}\n`}${lines.map((line) => `data: ${line}\n`).join('')}\n`;
}

/** How long a client waits before it reconnects, sent first so that the stream's headers go at once. */
export function formatRetry(ms: number): string {
  return `retry: ${ms}\n\n`;
}

/** A comment line: a client ignores it, a proxy sees traffic and keeps the stream open. */
export const HEARTBEAT = ':\n\n';
