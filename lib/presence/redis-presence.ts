import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { endpointKey } from '../endpoint-key.js';
import type { ResolvedPistachioOptions } from '../interfaces/index.js';
import type { Receives } from '../receives.js';
import { BrokerCommands } from '../redis/broker-commands.js';
import { companionKey } from '../redis/key-layout.js';
import type { RedisDeployment } from '../redis/redis-deployment.js';
import type { RedisDeployments } from '../redis/redis-deployments.js';
import type { Presence } from './presence.js';
import { presenceScripts } from './presence-scripts.js';

/** How often an instance reports: the lag of what the others see of it. */
const REPORT_EVERY_MS = 1_000;
/** An instance that has not reported for this long is taken for gone (killed, or cut off from Redis). */
const INSTANCE_TTL_MS = 3_000;
/** How often an unchanged count is written again, so that the counts' hash of an endpoint outlives no instance. */
const REWRITE_EVERY_MS = 30_000;
const ENDPOINT_TTL_MS = 2 * REWRITE_EVERY_MS;

/**
 * Presence on Redis. Each instance counts its own receives per endpoint (a poll costs Redis nothing) and, once a second,
 * writes the counts that changed to `{<namespace>:<endpoint>}#presence` (a hash, a field per instance, in the endpoint's
 * slot) and reports itself live with its total in `{<namespace>}#instances`, learning the others' from the answer. A
 * count sums the endpoint's hash over the instances live at the last report, this instance's own taken as it is now.
 */
export class RedisPresence implements Presence {
  /** This instance in the counts: a registration of a process. */
  private readonly id = randomUUID();
  private readonly commands: BrokerCommands;
  private readonly instances: string;
  private readonly totals: string;
  /** The other live instances' totals, as of the last report. */
  private others = new Map<string, number>();
  /** What this instance last wrote per endpoint, and when. */
  private readonly written = new Map<string, { count: number; at: number }>();
  private readonly timer: NodeJS.Timeout;
  private reporting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly namespace: string,
    private readonly receives: Receives,
    private readonly deployment: RedisDeployment,
    private readonly release: () => Promise<void>,
  ) {
    this.commands = new BrokerCommands(deployment.commands, new Logger('RedisBroker'), undefined);
    this.instances = companionKey(namespace, 'instances');
    this.totals = companionKey(namespace, 'totals');
    this.timer = setInterval(() => void this.report(), REPORT_EVERY_MS).unref();
  }

  /** Takes a share of the registration's deployment, and reports this instance before the app starts. */
  static async open(options: ResolvedPistachioOptions, receives: Receives, deployments: RedisDeployments): Promise<RedisPresence> {
    const deployment = await deployments.acquire(options.redis!, options.namespace);
    const presence = new RedisPresence(options.namespace, receives, deployment, () => deployments.release(deployment));
    await presence.report();
    return presence;
  }

  async count(endpoint: string): Promise<number> {
    const key = endpointKey(this.namespace, endpoint);
    const counts = await this.commands.idempotent(key, (client) => client.hgetall(companionKey(key, 'presence')));
    let count = this.receives.waitingOn(endpoint);
    for (const [id, waiting] of Object.entries(counts)) {
      count += this.others.has(id) ? Number(waiting) : 0;
    }
    return count;
  }

  get total(): number {
    let total = this.receives.count;
    this.others.forEach((waiting) => (total += waiting));
    return total;
  }

  /**
   * Stops reporting and leaves the counts at once, its own removed from every endpoint's hash (on a dropped connection,
   * the others drop it within INSTANCE_TTL_MS and its hashes expire).
   */
  close(): Promise<void> {
    this.closing ??= this.leave();
    return this.closing;
  }

  private async leave(): Promise<void> {
    clearInterval(this.timer);
    await this.reporting;
    if (this.deployment.commands.ready(this.instances)) {
      const leaving = this.commands.idempotent(this.instances, (client) =>
        presenceScripts(client).presenceLeave(this.instances, this.totals, this.id),
      );
      await Promise.all([leaving, ...[...this.written.keys()].map((endpoint) => this.write(endpoint, 0))]).catch(() => undefined);
    }
    await this.release();
  }

  /** One report at a time; one that fails is made good by the next (what it did not write stays to write). */
  private report(): Promise<void> {
    this.reporting ??= Promise.all([this.reportLive(), this.writeCounts()])
      .then(() => undefined, () => undefined)
      .finally(() => (this.reporting = undefined));
    return this.reporting;
  }

  private async reportLive(): Promise<void> {
    const live = await this.commands.idempotent(this.instances, (client) =>
      presenceScripts(client).presenceReport(this.instances, this.totals, this.id, this.receives.count, INSTANCE_TTL_MS),
    );
    const others = new Map<string, number>();
    for (let i = 0; i < live.length; i += 2) {
      if (live[i] !== this.id) {
        others.set(live[i], Number(live[i + 1]));
      }
    }
    this.others = others;
  }

  /** Writes each count that changed since it was last written, and those unchanged for REWRITE_EVERY_MS. */
  private async writeCounts(): Promise<void> {
    const now = Date.now();
    const endpoints = new Set([...this.written.keys(), ...this.receives.endpoints()]);
    const writes = [...endpoints].map(async (endpoint) => {
      const count = this.receives.waitingOn(endpoint);
      const last = this.written.get(endpoint);
      if (count === (last?.count ?? 0) && (count === 0 || now - last!.at < REWRITE_EVERY_MS)) {
        return;
      }
      await this.write(endpoint, count);
      if (count > 0) {
        this.written.set(endpoint, { count, at: now });
      } else {
        this.written.delete(endpoint);
      }
    });
    await Promise.all(writes);
  }

  /** Sets this instance's count in the endpoint's hash, or at 0 removes it. */
  private async write(endpoint: string, count: number): Promise<void> {
    const key = companionKey(endpointKey(this.namespace, endpoint), 'presence');
    await this.commands.idempotent(key, (client) => presenceScripts(client).presenceCount(key, this.id, count, ENDPOINT_TTL_MS));
  }
}
