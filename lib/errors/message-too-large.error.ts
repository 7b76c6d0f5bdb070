import { PistachioError } from './pistachio.error.js';

/** A publish refused because the message is larger than `maxMessageBytes`; nothing was stored. */
export class MessageTooLargeError extends PistachioError {
  constructor(bytes: number, maxMessageBytes: number) {
    super(`The message has ${bytes} bytes, more than maxMessageBytes (${maxMessageBytes}); nothing was stored`);
  }
}
