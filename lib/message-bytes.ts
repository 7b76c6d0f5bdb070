import { InvalidMessageError } from './errors/index.js';

/** A message as stored: a string as UTF-8, bytes as they are (copied), anything else as its JSON text. */
export function toMessageBytes(message: unknown): Buffer {
  if (typeof message === 'string') {
    return Buffer.from(message, 'utf8');
  }
  if (message instanceof Uint8Array) {
    return Buffer.from(message);
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(message);
  } catch (error) {
    throw new InvalidMessageError('JSON.stringify failed', { cause: error });
  }
  if (json === undefined) {
    throw new InvalidMessageError(`${typeof message} has no JSON text`);
  }
  return Buffer.from(json, 'utf8');
}
