import { Logger } from '@nestjs/common';
import type { BrokerHealth } from '../brokers/broker.interface.js';
import type { PistachioDurability } from '../interfaces/index.js';
import type { BrokerStats } from '../monitoring/pistachio-stats.interface.js';
import { assertRedisVersions, describe, openClient, RedisOption, reportOutages, subscriberConnection } from './connect-redis.js';
import { DurableWrites } from './durable-writes.js';
import { REDIS_WAIT_MS } from './broker-commands.js';
import { isCluster } from './ioredis-internals.js';
import { masterAt } from './redis-client.js';
import { MasterConnections, redisHealth, redisStats } from './redis-health.js';
import { SingleSendConnection } from './single-send-connection.js';
import { Topology, topologyOf } from './topology.js';
import { WakeSubscriptions } from './wake-subscriptions.js';

/**
 * The connections of one app to one Redis deployment (one Redis, a Sentinel's master, or a Cluster), shared by every
 * registration on it: a commands client (on a Cluster, one connection per master) and a wake-up subscriber per master,
 * so at most two connections per master however many polls, endpoints and registrations; with `durability`, a third
 * for the writes that replicas must confirm.
 */
export class RedisDeployment {
  private readonly logger = new Logger('RedisBroker');
  private durable: Promise<SingleSendConnection> | undefined;
  /** The durable connection, once open. */
  private durableOpened: SingleSendConnection | undefined;
  private readonly durableWrites = new Map<string, DurableWrites>();

  private constructor(
    readonly commands: SingleSendConnection,
    readonly topology: Topology,
    readonly wakes: WakeSubscriptions,
    private readonly redis: RedisOption,
    private readonly name: string,
  ) {
    reportOutages(commands.client, this.logger);
  }

  /**
   * Connects to the deployment and checks it: every master answers, runs Redis 7.0 or later, and passes a message on
   * a shard channel. Rejects with the module's error naming the master (or option) otherwise, closing what it opened.
   */
  static async open(redis: RedisOption, namespace: string): Promise<RedisDeployment> {
    const name = `pistachio:${namespace}`;
    const client = await openClient(redis, `${name}:commands`);
    const topology = topologyOf(client);
    const wakes = new WakeSubscriptions(topology, (master) => subscriberConnection(client, master, `${name}:wake`));
    const deployment = new RedisDeployment(new SingleSendConnection(client), topology, wakes, redis, name);
    try {
      await assertRedisVersions(topology.masters());
      await wakes.start((key, channel) =>
        deployment.commands.sendWhenReady((commands) => commands.spublish(channel, ''), { key, within: REDIS_WAIT_MS }),
      );
    } catch (error) {
      await deployment.close();
      throw error;
    }
    new Logger('PistachioModule').log(`Namespace "${namespace}" runs on Redis at ${describe(client)}`);
    return deployment;
  }

  /** Writes that `durability.replicas` replicas confirm, on the deployment's durable connection (opened at the first call). */
  async durableWritesFor(durability: PistachioDurability): Promise<DurableWrites> {
    this.durable ??= openClient(this.redis, `${this.name}:durable`).then((client) => {
      reportOutages(client, this.logger);
      return (this.durableOpened = new SingleSendConnection(client));
    });
    const connection = await this.durable;
    const key = `${durability.replicas}:${durability.timeout}`;
    let writes = this.durableWrites.get(key);
    if (!writes) {
      writes = new DurableWrites(connection, durability);
      this.durableWrites.set(key, writes);
    }
    return writes;
  }

  stats(): BrokerStats {
    return redisStats(this.topology.kind, describe(this.commands.client), this.masterConnections());
  }

  /** Up when every master answers a PING in time and the wake-up (and durable) connections to it are ready. */
  health(): Promise<BrokerHealth> {
    return redisHealth(this.masterConnections());
  }

  async close(): Promise<void> {
    this.wakes.close();
    const durable = await this.durable?.catch(() => undefined);
    await Promise.all([this.commands.close(), durable?.close()]);
  }

  private masterConnections(): MasterConnections[] {
    const durable = this.durableOpened?.client;
    const wakes = this.wakes.connections();
    return this.topology.masters().map(({ address, connection }) => ({
      address,
      connections: [
        { role: 'commands', connection },
        { role: 'wake', connection: wakes.find((wake) => wake.address === address)?.connection },
        ...(durable ? [{ role: 'durable' as const, connection: isCluster(durable) ? masterAt(durable, address) : durable }] : []),
      ],
    }));
  }
}
