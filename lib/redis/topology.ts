import type { Cluster, Redis } from 'ioredis';
import { addressOf, isCluster, ownerOfSlot } from './ioredis-internals.js';
import { masterAt, RedisClient, slotOf } from './redis-client.js';

/** A master of the deployment: where some keys live, and the commands connection to it. */
export interface Master {
  address: string;
  connection: Redis;
}

/**
 * Where the keys of a deployment live: on one master (a single Redis, or the master Sentinel names; ioredis follows it
 * through a failover), or on the masters of a Cluster, by hash slot.
 */
export interface Topology {
  readonly kind: 'single' | 'cluster';
  /** The address of the master that serves `key`, as last learnt. */
  ownerOf(key: string): string | undefined;
  master(address: string): Master | undefined;
  masters(): Master[];
  /** Asks the deployment again who serves what; resolves once answered (or failed). */
  refresh(): Promise<void>;
  /** Calls `listener` each time the deployment has said who serves what. */
  onRefresh(listener: () => void): void;
}

export function topologyOf(client: RedisClient): Topology {
  return isCluster(client) ? new ClusterMasters(client) : new SingleMaster(client);
}

class SingleMaster implements Topology {
  readonly kind = 'single';
  private readonly only: Master;

  constructor(connection: Redis) {
    this.only = { address: addressOf(connection), connection };
  }

  ownerOf(): string {
    return this.only.address;
  }

  master(address: string): Master | undefined {
    return address === this.only.address ? this.only : undefined;
  }

  masters(): Master[] {
    return [this.only];
  }

  async refresh(): Promise<void> {}

  onRefresh(): void {}
}

/** How often a Cluster with a master away asks who serves what, so that a replica's promotion is seen soon. */
const HURRY_EVERY_MS = 200;

class ClusterMasters implements Topology {
  readonly kind = 'cluster';
  private hurrying: NodeJS.Timeout | undefined;

  constructor(private readonly cluster: Cluster) {
    // ioredis asks every slotsRefreshInterval; while a master is away, ask more often until a replica serves its slots.
    const hurry = () => (this.hurrying ??= setInterval(() => cluster.refreshSlotsCache(), HURRY_EVERY_MS).unref());
    cluster.on('-node', hurry).on('node error', hurry);
    cluster.on('refresh', () => {
      if (this.hurrying && this.masters().every(({ connection }) => !['end', 'close', 'reconnecting'].includes(connection.status))) {
        clearInterval(this.hurrying);
        this.hurrying = undefined;
      }
    });
    cluster.once('end', () => clearInterval(this.hurrying));
  }

  ownerOf(key: string): string | undefined {
    return ownerOfSlot(this.cluster, slotOf(key));
  }

  master(address: string): Master | undefined {
    const connection = masterAt(this.cluster, address);
    return connection && { address, connection };
  }

  masters(): Master[] {
    return this.cluster.nodes('master').map((connection) => ({ address: addressOf(connection), connection }));
  }

  refresh(): Promise<void> {
    return new Promise((resolve) => this.cluster.refreshSlotsCache(() => resolve()));
  }

  onRefresh(listener: () => void): void {
    this.cluster.on('refresh', listener);
  }
}
