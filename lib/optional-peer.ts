import { MissingPeerError } from './errors/index.js';

/** Loads an optional peer dependency, or fails with a MissingPeerError that says what needs it and how to install it. */
export async function importPeer<T>(load: () => Promise<T>, peer: string, neededBy: string): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND' ? new MissingPeerError(peer, neededBy, error) : error;
  }
}
