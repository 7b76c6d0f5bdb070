import Denque from 'denque';
import { Broker, BrokerReceiveOptions } from './broker.interface.js';
import { Waiters } from './waiters.js';

/** Queues in this process's memory: the embedded default, for a single instance and for tests. */
export class MemoryBroker implements Broker {
  private readonly queues = new Map<string, Denque<Buffer>>();
  private readonly waiters = new Waiters();

  async publish(key: string, message: Buffer): Promise<void> {
    if (!this.waiters.hand(key, message)) {
      this.queue(key).push(message);
    }
  }

  async receive(key: string, options: BrokerReceiveOptions): Promise<Buffer | null> {
    options.signal?.throwIfAborted();
    return this.take(key) ?? this.waiters.wait(key, options);
  }

  async requeue(key: string, message: Buffer): Promise<void> {
    if (!this.waiters.hand(key, message)) {
      this.queue(key).unshift(message);
    }
  }

  async length(key: string): Promise<number> {
    return this.queues.get(key)?.length ?? 0;
  }

  private take(key: string): Buffer | undefined {
    const queue = this.queues.get(key);
    const message = queue?.shift();
    if (queue?.isEmpty()) {
      this.queues.delete(key);
    }
    return message;
  }

  private queue(key: string): Denque<Buffer> {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new Denque<Buffer>();
      this.queues.set(key, queue);
    }
    return queue;
  }
}
