import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { once } from 'node:events';
import { RedisConnectionError, RedisShardedPubSubError } from '../errors/index.js';
import { keyOfWakeChannel, wakeChannel } from './key-layout.js';
import { reportOutages } from './connect-redis.js';
import { lostTrackOfReplies, wasCutOff, wasNotSent } from './ioredis-internals.js';
import { settleBy } from './settle-by.js';
import { ShardSubscriber } from './shard-subscriber.js';
import { NotSentError, ReplyLostError } from './single-send-connection.js';
import type { Master, Topology } from './topology.js';

/** What a broker hears of the keys it watches. */
export interface WakeListener {
  /** `key` may have something: a publish said so (with what the publisher said: a broadcast's message), or a push. */
  woken(key: string, payload: Buffer): void;
  /** Wake-ups of `key` may have gone unheard (a reconnect, a failover, a slot that moved): look for yourself. */
  missed(key: string): void;
}

/** How often every subscriber's subscriptions are checked against Redis, and a master that went away looked for. */
const PROBE_EVERY_MS = 1_000;
/** How long the start-up check waits for its own SPUBLISH to come back. */
const START_CHECK_MS = 5_000;
/** How long the start-up check goes on through dropped connections before it gives up. */
const START_RETRY_MS = 10_000;

/**
 * How the instances of one deployment learn that a key they wait on may have something: one subscriber connection per
 * master (sharded Pub/Sub: on a Cluster each message costs its own shard, not a broadcast over the cluster bus), each
 * subscribed to the wake channels of the keys that master serves and that somebody here watches. Shared by every
 * registration on the deployment. Keys follow their slot to another master after a failover or a migration, and a
 * probe checks each second that Redis still has every subscription; whatever was then unheard is reported `missed`.
 */
export class WakeSubscriptions {
  private readonly logger = new Logger('RedisBroker');
  private readonly listeners = new Map<string, Set<WakeListener>>();
  private readonly subscribers = new Map<string, ShardSubscriber>();
  /** The subscriber each watched key is placed on; keys whose master is unknown for now wait in `unplaced`. */
  private readonly placed = new Map<string, ShardSubscriber>();
  private readonly unplaced = new Set<string>();
  private readonly placing = new Map<string, Promise<boolean>>();
  private readonly probe: NodeJS.Timeout;
  private probing = false;

  constructor(
    private readonly topology: Topology,
    /** Opens a subscriber connection to a master (lazily: it connects when asked). */
    private readonly open: (master: Master) => Redis,
  ) {
    topology.onRefresh(() => this.follow());
    this.probe = setInterval(() => void this.check(), PROBE_EVERY_MS).unref();
  }

  /**
   * Connects a subscriber to every master and checks that a message published on a shard channel comes back to it;
   * rejects with a RedisShardedPubSubError naming the master otherwise (a proxy or service that refuses them).
   */
  async start(publish: (key: string, channel: string) => Promise<unknown>): Promise<void> {
    await Promise.all(
      this.topology.masters().map(async (master) => {
        const { connection } = this.subscriberOf(master);
        await readyOrFailed(connection).catch((error: unknown) => {
          throw new RedisConnectionError(master.address, error);
        });
        const giveUp = Date.now() + START_RETRY_MS;
        for (;;) {
          try {
            return await this.echoes(connection, wakeChannel(this.probeKeyOn(master.address)), publish);
          } catch (error) {
            // A connection dropped during the check says nothing of sharded Pub/Sub: check again once it is back.
            if (!droppedConnection(error) || Date.now() > giveUp) {
              throw new RedisShardedPubSubError(master.address, error);
            }
            await readyWithin(connection, giveUp - Date.now()).catch(() => {
              throw new RedisShardedPubSubError(master.address, error);
            });
          }
        }
      }),
    );
  }

  /** Resolves once a message published on `channel` came back to the subscriber `connection`. */
  private async echoes(connection: Redis, channel: string, publish: (key: string, channel: string) => Promise<unknown>): Promise<void> {
    let heard!: () => void;
    const listener = (to: Buffer) => to.toString() === channel && heard();
    const hearing = new Promise<void>((resolve) => (heard = resolve));
    connection.on('smessageBuffer', listener);
    try {
      await connection.ssubscribe(channel);
      await publish(keyOfWakeChannel(channel)!, channel);
      const silence = AbortSignal.timeout(START_CHECK_MS);
      await Promise.race([
        hearing,
        once(silence, 'abort').then(() => Promise.reject(new Error(`its SPUBLISH did not come back within ${START_CHECK_MS} ms`))),
      ]);
      await connection.sunsubscribe(channel);
    } finally {
      connection.off('smessageBuffer', listener);
    }
  }

  /**
   * Subscribes `listener` to the wake-ups of `key`: `true` once the subscription is in place now (what was published
   * before went unheard: look), `false` when it already was, or cannot be yet (it is reported `missed` once it is).
   */
  watch(key: string, listener: WakeListener): Promise<boolean> {
    const listeners = this.listeners.get(key);
    if (listeners) {
      listeners.add(listener);
      return this.placing.get(key) ?? Promise.resolve(false);
    }
    this.listeners.set(key, new Set([listener]));
    const placing = this.place(key);
    this.placing.set(key, placing);
    void placing.finally(() => this.placing.get(key) === placing && this.placing.delete(key));
    return placing;
  }

  unwatch(key: string, listener: WakeListener): void {
    const listeners = this.listeners.get(key);
    if (!listeners?.delete(listener) || listeners.size > 0) {
      return;
    }
    this.listeners.delete(key);
    this.unplaced.delete(key);
    this.placed.get(key)?.remove(key);
    this.placed.delete(key);
  }

  /** Whether a wake-up of `key` would be heard now. */
  hears(key: string): boolean {
    return this.placed.get(key)?.hears(key) === true;
  }

  /** The subscriber connections, by master. */
  connections(): { address: string; connection: Redis }[] {
    return [...this.subscribers.values()].map(({ master, connection }) => ({ address: master.address, connection }));
  }

  close(): void {
    clearInterval(this.probe);
    this.subscribers.forEach((subscriber) => subscriber.close());
  }

  private place(key: string): Promise<boolean> {
    const owner = this.topology.ownerOf(key);
    const master = owner === undefined ? undefined : this.topology.master(owner);
    if (!master) {
      this.unplaced.add(key);
      void this.topology.refresh();
      return Promise.resolve(false);
    }
    const subscriber = this.subscriberOf(master);
    this.placed.set(key, subscriber);
    return subscriber.add(key);
  }

  private subscriberOf(master: Master): ShardSubscriber {
    let subscriber = this.subscribers.get(master.address);
    if (!subscriber) {
      const connection = this.open(master);
      reportOutages(connection, this.logger);
      connection.on('error', (error: Error) => {
        // Start afresh, subscribing everything again.
        if (lostTrackOfReplies(error)) {
          connection.disconnect(true);
        }
      });
      connection.connect().catch(() => undefined);
      subscriber = new ShardSubscriber(master, connection, {
        woken: (key, payload) => this.listeners.get(key)?.forEach((listener) => listener.woken(key, payload)),
        moved: (key) => {
          this.placed.delete(key);
          this.unplaced.add(key);
          void this.topology.refresh();
        },
        resubscribed: (keys) => keys.forEach((key) => this.missed(key)),
      });
      this.subscribers.set(master.address, subscriber);
    }
    return subscriber;
  }

  private missed(key: string): void {
    this.listeners.get(key)?.forEach((listener) => listener.missed(key));
  }

  /** Moves the keys whose slot another master serves now (a failover, a migration), and drops subscribers of ex-masters. */
  private follow(): void {
    for (const [key, subscriber] of this.placed) {
      if (this.topology.ownerOf(key) !== subscriber.master.address) {
        subscriber.remove(key);
        this.placed.delete(key);
        this.unplaced.add(key);
      }
    }
    for (const key of [...this.unplaced]) {
      if (this.topology.ownerOf(key) !== undefined) {
        this.unplaced.delete(key);
        void this.place(key).then(() => this.missed(key));
      }
    }
    const masters = new Set(this.topology.masters().map(({ address }) => address));
    for (const [address, subscriber] of this.subscribers) {
      if (!masters.has(address) && subscriber.keys.size === 0) {
        subscriber.close();
        this.subscribers.delete(address);
      }
    }
  }

  /**
   * The probe: a subscriber whose subscriptions Redis no longer has all of resubscribes, after the deployment said
   * who serves what now; one that stays down sends to look for the master that took over.
   */
  private async check(): Promise<void> {
    if (this.probing) {
      return;
    }
    this.probing = true;
    try {
      const broken: ShardSubscriber[] = [];
      let lookAgain = this.unplaced.size > 0;
      for (const subscriber of this.subscribers.values()) {
        if (subscriber.downSince !== undefined && Date.now() - subscriber.downSince >= PROBE_EVERY_MS) {
          lookAgain = true;
        } else if ((await settleBy(subscriber.intact(), Date.now() + PROBE_EVERY_MS, () => undefined).catch(() => true)) === false) {
          // (A probe whose answer is late, its commands connection being replaced, says nothing.)
          broken.push(subscriber);
        }
      }
      if (lookAgain || broken.length > 0) {
        await this.topology.refresh();
        this.follow();
      }
      for (const subscriber of broken) {
        this.logger.warn(`Redis at ${subscriber.master.address} dropped wake-up subscriptions; subscribing them again`);
        void subscriber.resubscribe();
      }
    } finally {
      this.probing = false;
    }
  }

  /** A key of the module's own namespace that `address` serves, for the start-up check. */
  private probeKeyOn(address: string): string {
    for (let i = 0; ; i++) {
      const key = `pistachio-probe:${i}`;
      if (this.topology.ownerOf(key) === address) {
        return key;
      }
    }
  }
}

/** Whether an error says only that a connection dropped, not what Redis answers: the command may be sent again. */
function droppedConnection(error: unknown): boolean {
  return error instanceof ReplyLostError || error instanceof NotSentError || wasCutOff(error) || wasNotSent(error);
}

/** Resolves once the connection is ready again; rejects after `ms`. */
async function readyWithin(connection: Redis, ms: number): Promise<void> {
  if (connection.status !== 'ready') {
    await once(connection, 'ready', { signal: AbortSignal.timeout(Math.max(1, ms)) });
  }
}

/** Resolves once the connection is ready; rejects with its first error. */
function readyOrFailed(connection: Redis): Promise<void> {
  if (connection.status === 'ready') {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const onReady = () => {
      connection.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      connection.off('ready', onReady);
      reject(error);
    };
    connection.once('ready', onReady).once('error', onError);
  });
}
