import { PistachioError } from './pistachio.error.js';

/** The installed ioredis lacks something the module reads of it (see lib/redis/ioredis-internals.ts). */
export class UnsupportedIoredisError extends PistachioError {
  constructor(what: string) {
    super(`The installed ioredis has no ${what}, which nestjs-pistachio needs: install ioredis 5 or 6 (its peer range is "^5 || ^6")`);
  }
}
