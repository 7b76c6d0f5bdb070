import Denque from 'denque';
import { QueueFullError } from '../errors/index.js';
import { Broker, BrokerReceiveOptions } from './broker.interface.js';
import { QueueLimits } from './queue-limits.interface.js';
import { Waiters } from './waiters.js';

interface MemoryQueue {
  messages: Denque<Buffer>;
  /** Deletes the queue `messageTtl` after its latest publish. */
  expiry: NodeJS.Timeout;
}

/** Queues in this process's memory: the embedded default, for a single instance and for tests. */
export class MemoryBroker implements Broker {
  private readonly queues = new Map<string, MemoryQueue>();
  private readonly waiters = new Waiters();

  constructor(private readonly limits: QueueLimits) {}

  async publish(key: string, message: Buffer): Promise<void> {
    if (this.waiters.hand(key, message)) {
      return;
    }
    const { messages } = this.queue(key);
    if (messages.length >= this.limits.maxQueueLength) {
      if (this.limits.overflow === 'reject') {
        throw new QueueFullError(key, this.limits.maxQueueLength);
      }
      messages.shift();
    }
    messages.push(message);
  }

  async receive(key: string, options: BrokerReceiveOptions): Promise<Buffer | null> {
    options.signal?.throwIfAborted();
    return this.take(key) ?? this.waiters.wait(key, options);
  }

  async requeue(key: string, message: Buffer): Promise<void> {
    if (!this.waiters.hand(key, message)) {
      this.queue(key).messages.unshift(message);
    }
  }

  async length(key: string): Promise<number> {
    return this.queues.get(key)?.messages.length ?? 0;
  }

  /** The queues live in this process: they end with it. */
  async close(): Promise<void> {
    this.queues.forEach(({ expiry }) => clearTimeout(expiry));
  }

  private take(key: string): Buffer | undefined {
    const queue = this.queues.get(key);
    const message = queue?.messages.shift();
    if (queue?.messages.isEmpty()) {
      this.delete(key);
    }
    return message;
  }

  /** The queue of `key`, created if need be, its expiry pushed back as a publish does in Redis. */
  private queue(key: string): MemoryQueue {
    const queue = this.queues.get(key);
    if (queue) {
      queue.expiry.refresh();
      return queue;
    }
    const created = {
      messages: new Denque<Buffer>(),
      expiry: setTimeout(() => this.delete(key), this.limits.messageTtl).unref(),
    };
    this.queues.set(key, created);
    return created;
  }

  private delete(key: string): void {
    clearTimeout(this.queues.get(key)?.expiry);
    this.queues.delete(key);
  }
}
