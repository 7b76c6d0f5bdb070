import type { Acknowledgements } from './brokers/broker.interface.js';
import { InvalidOptionsError } from './errors/index.js';
import type { DeadLetters } from './interfaces/index.js';

/** Most dead letters one read returns unless told otherwise. */
const DEFAULT_READ_LIMIT = 100;

/** The dead letters of a registration's endpoints, as PistachioAcknowledgedQueue.deadLetters offers them. */
export class EndpointDeadLetters implements DeadLetters {
  constructor(
    /** The broker key of an endpoint, once its name is checked. */
    private readonly keyOf: (endpoint: string) => string,
    private readonly acknowledgements: Acknowledgements,
  ) {}

  async count(endpoint: string): Promise<number> {
    return this.acknowledgements.deadLetterCount(this.keyOf(endpoint));
  }

  async read(endpoint: string, { offset = 0, limit = DEFAULT_READ_LIMIT }: { offset?: number; limit?: number } = {}): Promise<Buffer[]> {
    if (!(Number.isInteger(offset) && offset >= 0 && Number.isInteger(limit) && limit > 0)) {
      throw new InvalidOptionsError('offset, limit', 'whole numbers, offset from 0 and limit from 1', `${offset}, ${limit}`, 'deadLetters.read()');
    }
    return this.acknowledgements.readDeadLetters(this.keyOf(endpoint), offset, limit);
  }

  async requeue(endpoint: string): Promise<number> {
    return this.acknowledgements.requeueDeadLetters(this.keyOf(endpoint));
  }

  async purge(endpoint: string): Promise<number> {
    return this.acknowledgements.purgeDeadLetters(this.keyOf(endpoint));
  }
}
