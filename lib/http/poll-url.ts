import { parse } from 'node:querystring';

/** A poll's endpoint (decoded, unchecked) and query, as the framework's route would read them. */
export interface PollUrl {
  endpoint: string;
  query: Record<string, unknown>;
}

/** The poll of a URL one segment below `base` (`/prefix/path/`); undefined for any other URL, or a malformed escape. */
export function pollUrl(url: string, base: string): PollUrl | undefined {
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  if (!path.startsWith(base) || path.length === base.length || path.indexOf('/', base.length) >= 0) {
    return undefined;
  }
  try {
    return { endpoint: decodeURIComponent(path.slice(base.length)), query: mark < 0 ? {} : parse(url.slice(mark + 1)) };
  } catch {
    // The framework's route answers it as it answers any.
    return undefined;
  }
}
