import { Logger } from '@nestjs/common';
import type { BrokerHealth } from '../brokers/broker.interface.js';
import type { ResolvedPistachioOptions } from '../interfaces/index.js';
import type { BrokerStats } from '../monitoring/pistachio-stats.interface.js';
import type { DurableWrites } from './durable-writes.js';
import type { RedisDeployment } from './redis-deployment.js';
import type { RedisDeployments } from './redis-deployments.js';

/** A registration's share of the app's Redis deployment. */
export interface DeploymentShare {
  /** The connections, shared with the app's other registrations on the same deployment. */
  deployment: RedisDeployment;
  /** With `durability`: the writes that replicas must confirm. */
  durable: DurableWrites | undefined;
  /** Gives the share back: the last registration to do so closes the deployment. */
  release(): Promise<void>;
}

/**
 * What the Redis brokers of every mode share: a share of the deployment, taken when the broker connects and given back
 * when it closes; the deployment's stats and health (its connections by role, per master; outages are logged there);
 * the log the broker writes to; and the work to redo once the commands connection is back from an outage.
 */
export abstract class DeploymentBroker {
  protected readonly logger = new Logger('RedisBroker');
  /** The listeners of the commands connection's 'ready', removed on close: the deployment may outlive the broker. */
  private readonly reconnectListeners: (() => void)[] = [];

  protected constructor(protected readonly share: DeploymentShare) {}

  /**
   * Takes a share of the deployment `options.redis` names (connecting it, if no other registration has) and builds the
   * broker on it; rejects with the module's error if Redis is away or unfit, giving the share back.
   */
  protected static async open<B extends DeploymentBroker>(
    options: ResolvedPistachioOptions,
    deployments: RedisDeployments,
    build: (share: DeploymentShare) => B,
  ): Promise<B> {
    const deployment = await deployments.acquire(options.redis!, options.namespace);
    const release = () => deployments.release(deployment);
    try {
      const durable = options.durability ? await deployment.durableWritesFor(options.durability) : undefined;
      return build({ deployment, durable, release });
    } catch (error) {
      await release();
      throw error;
    }
  }

  stats(): BrokerStats {
    return this.share.deployment.stats();
  }

  health(): Promise<BrokerHealth> {
    return this.share.deployment.health();
  }

  /** Stops the broker's own work (see stop), then gives its share of the deployment back. */
  async close(): Promise<void> {
    await this.stop();
    const { client } = this.share.deployment.commands;
    this.reconnectListeners.splice(0).forEach((listener) => client.off('ready', listener));
    await this.share.release();
  }

  /** Stops taking and listening, and lets what is on its way settle, while the connections are still open. */
  protected abstract stop(): Promise<void>;

  /** Runs `listener` each time the commands connection is ready again: what came while it was away went unheard. */
  protected whenReconnected(listener: () => void): void {
    this.share.deployment.commands.client.on('ready', listener);
    this.reconnectListeners.push(listener);
  }
}
