import type { Acknowledgements } from './brokers/broker.interface.js';
import { InvalidOptionsError } from './errors/index.js';
import type { DeadLetters } from './interfaces/index.js';

/** Most dead letters one read returns unless told otherwise. */
const DEFAULT_READ_LIMIT = 100;

/** The dead letters of a registration's endpoints, as PistachioService.deadLetters offers them. */
export class EndpointDeadLetters implements DeadLetters {
  constructor(
    /** The broker's acknowledgements, for the key of an endpoint; throws when the registration has none. */
    private readonly of: (endpoint: string, operation: string) => { key: string; acknowledgements: Acknowledgements },
  ) {}

  async count(endpoint: string): Promise<number> {
    const { key, acknowledgements } = this.of(endpoint, 'deadLetters.count()');
    return acknowledgements.deadLetterCount(key);
  }

  async read(endpoint: string, { offset = 0, limit = DEFAULT_READ_LIMIT }: { offset?: number; limit?: number } = {}): Promise<Buffer[]> {
    const { key, acknowledgements } = this.of(endpoint, 'deadLetters.read()');
    if (!(Number.isInteger(offset) && offset >= 0 && Number.isInteger(limit) && limit > 0)) {
      throw new InvalidOptionsError('offset, limit', 'whole numbers, offset from 0 and limit from 1', `${offset}, ${limit}`, 'deadLetters.read()');
    }
    return acknowledgements.readDeadLetters(key, offset, limit);
  }

  async requeue(endpoint: string): Promise<number> {
    const { key, acknowledgements } = this.of(endpoint, 'deadLetters.requeue()');
    return acknowledgements.requeueDeadLetters(key);
  }

  async purge(endpoint: string): Promise<number> {
    const { key, acknowledgements } = this.of(endpoint, 'deadLetters.purge()');
    return acknowledgements.purgeDeadLetters(key);
  }
}
