import { PistachioError } from './pistachio.error.js';

/** An option needs a package that is an optional peer dependency, and the app has not installed it. */
export class MissingPeerError extends PistachioError {
  constructor(readonly peer: string, neededBy: string, cause: unknown) {
    super(`${neededBy} needs the package "${peer}", which is not installed: npm install ${peer}`, { cause });
  }
}
