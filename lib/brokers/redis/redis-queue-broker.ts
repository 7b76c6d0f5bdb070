import { DeploymentBroker, DeploymentShare } from '../../redis/deployment-broker.js';
import { KeySweep, SweepTest } from '../../redis/key-sweep.js';
import { QueueLimits } from '../broker-settings.interface.js';
import { QueueCommands } from './queue-commands.js';
import { Taken, WaitedKeys } from './waited-keys.js';

/**
 * What the queue brokers on Redis share, whatever their delivery mode: the queue's commands, and the waiting polls
 * (see WaitedKeys), served again when the connection is back and by a sweep that finds what no wake-up announced. A
 * mode says how it takes from a key, gives back what reached nobody, and answers a take that failed.
 */
export abstract class RedisQueueBroker<T> extends DeploymentBroker {
  protected readonly commands: QueueCommands;
  protected readonly keys: WaitedKeys<T>;

  protected constructor(share: DeploymentShare, limits: QueueLimits, sweepTest: SweepTest) {
    super(share);
    const { commands, topology, wakes } = share.deployment;
    this.commands = new QueueCommands(commands, limits, this.logger, share.durable);
    const sweep = new KeySweep(topology, sweepTest);
    this.keys = new WaitedKeys(wakes, {
      take: (key, max) => this.take(key, max),
      giveBack: (key, taken) => this.giveBack(key, taken),
      failed: (key, error) => this.takeFailed(key, error),
      holding: (keys) => sweep.holding(keys),
    });
    this.whenReconnected(() => this.keys.reconnected());
  }

  publish(key: string, message: Buffer): Promise<void> {
    return this.commands.publish(key, message);
  }

  /** Stops taking, and lets the takes on their way settle (what nobody takes is given back). */
  protected stop(): Promise<void> {
    return this.keys.close();
  }

  /** Takes up to `max` from `key` for its waiters, in one round trip. */
  protected abstract take(key: string, max: number): Promise<Taken<T>>;
  /** Gives back what was taken for waiters that had gone meanwhile. */
  protected abstract giveBack(key: string, taken: T[]): Promise<void>;
  /** A take for waiters failed: ends the waits on a key that cannot be read, or logs; the key is tried again later. */
  protected abstract takeFailed(key: string, error: unknown): void;
}
