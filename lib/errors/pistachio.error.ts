/** Base class of every error the module throws, for a single `instanceof` check. */
export class PistachioError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
