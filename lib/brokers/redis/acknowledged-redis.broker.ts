import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { AcknowledgementOutcomeUnknownError, ReceiptRefusal, ReceiptRefusedError, WrongKeyTypeError } from '../../errors/index.js';
import type { Delivery, ResolvedPistachioOptions } from '../../interfaces/index.js';
import { formatReceipt, newNonce, parseReceipt } from '../../receipt.js';
import type { BrokerEvents } from '../../monitoring/delivery-events.interface.js';
import type { BrokerStats } from '../../monitoring/pistachio-stats.interface.js';
import { Acknowledgements, Broker, BrokerHealth, BrokerReceiveOptions } from '../broker.interface.js';
import { BrokerSettings } from '../broker-settings.interface.js';
import { deadLetterWarning } from '../dead-letter-warning.js';
import { Waiters } from '../waiters.js';
import { ClaimScripts, defineClaimScripts, SettleMode } from './claim-scripts.js';
import { QueueCommands } from './queue-commands.js';
import { REDIS_WAIT_MS } from './redis-commands.js';
import { connectBroker, reportOutages } from './redis-connection.js';
import { redisHealth, redisStats, RoledConnections } from './redis-health.js';
import { isWrongType } from './redis-replies.js';
import { NotSentError, ReplyLostError } from './single-send-connection.js';
import { wakeChannel, WakeSubscriber } from './wake-subscriber.js';

/**
 * How often each instance tries each key it waits on without being woken: for messages that other Redis clients
 * RPUSHed (no notification), claims whose visibility timeout passed, and notifications missed during a reconnect.
 */
const SERVE_EVERY_MS = 1_000;
/**
 * How often the sweep looks for keys due: each key is due on its own clock, a second after it was last served, so
 * that 10,000 waiting keys are not all claimed in the same turn of the event loop (which held wake-ups up ~0.5 s).
 */
const SWEEP_EVERY_MS = 250;

/** The keys acknowledged delivery keeps beside a queue; `#` keeps endpoint names from naming them. */
function claimKeys(key: string): { claims: string; deadlines: string; dead: string } {
  return { claims: `${key}#claims`, deadlines: `${key}#deadlines`, dead: `${key}#dead` };
}

/**
 * At-least-once queues on Redis. The queue is the same list as at most once (other clients may RPUSH to it); a
 * receive moves messages from it into claims with one script, so that no fault between the pop and the record loses
 * one, and a claim not acknowledged in time is delivered again. Waiting polls are entries in a local FIFO; a
 * publish notifies the queue's channel, and one Pub/Sub connection wakes this instance, which then claims for its
 * oldest waiter: Redis connections stay two however many polls wait, and a message costs the same whatever the
 * number of waiting endpoints.
 */
export class AcknowledgedRedisBroker implements Broker, Acknowledgements {
  readonly mode = 'queue';
  readonly acknowledgements = this;
  private readonly logger = new Logger('RedisBroker');
  private readonly waiters = new Waiters<Delivery[]>();
  private readonly commands: QueueCommands;
  private readonly scripts: ClaimScripts;
  private readonly subscriber: WakeSubscriber;
  /** The keys being served now; those woken meanwhile are served again. */
  private readonly serving = new Map<string, Promise<void>>();
  private readonly wokenAgain = new Set<string>();
  /** Wake-ups heard per subscribed key, so that a claim knows whether one came while it ran. */
  private readonly wakes = new Map<string, number>();
  /** Subscribed keys whose last claim emptied them with no wake-up since: a new poll need not ask Redis first. */
  private readonly drained = new Set<string>();
  /** When each waited key was last served. */
  private readonly servedAt = new Map<string, number>();
  private readonly sweep: NodeJS.Timeout;
  private readonly connections: RoledConnections;

  private constructor(
    commands: Redis,
    subscriber: Redis,
    private readonly settings: BrokerSettings,
    private readonly events: BrokerEvents,
  ) {
    this.commands = new QueueCommands(commands, settings, this.logger);
    this.connections = { commands: this.commands.connection, others: [{ role: 'wake', redis: subscriber }] };
    this.scripts = defineClaimScripts(commands);
    this.subscriber = new WakeSubscriber(subscriber, (key) => this.woken(key));
    [commands, subscriber].forEach((connection) => {
      reportOutages(connection, this.logger);
      // What was published or came due while a connection was down, unheard.
      connection.on('ready', () => {
        this.drained.clear();
        this.serveAll();
      });
    });
    this.sweep = setInterval(() => {
      // Due a tick early, so that no key waits longer than SERVE_EVERY_MS between two tries.
      const due = Date.now() - (SERVE_EVERY_MS - SWEEP_EVERY_MS);
      for (const key of this.waiters.keys()) {
        if ((this.servedAt.get(key) ?? 0) <= due) {
          this.serve(key);
        }
      }
      for (const key of this.servedAt.keys()) {
        if (!this.waiters.has(key)) {
          this.servedAt.delete(key);
        }
      }
      for (const key of this.subscriber.prune((wanted) => this.waiters.has(wanted))) {
        this.wakes.delete(key);
        this.drained.delete(key);
      }
    }, SWEEP_EVERY_MS).unref();
  }

  /** Connects the command connection and the wake-up subscriber; rejects with a RedisConnectionError if Redis is away. */
  static async connect(options: ResolvedPistachioOptions, events: BrokerEvents): Promise<AcknowledgedRedisBroker> {
    // The subscriber keeps ioredis's defaults: subscribing again after a reconnect is what it should do.
    const [commands, subscriber] = await connectBroker(options, [{ connectionName: 'wake' }]);
    return new AcknowledgedRedisBroker(commands, subscriber, options, events);
  }

  publish(key: string, message: Buffer): Promise<void> {
    return this.commands.publish(key, message, wakeChannel(key));
  }

  /**
   * Waits in line, then claims for the oldest waiter: at once when it is alone (a message may be queued), and whenever
   * the key is woken. Claiming only for waiters keeps them served in the order they came, and a claim that answers
   * late (a paused Redis) goes to the next waiter or back, never to a poll that has ended. A receive that acknowledges
   * (a looping client's next poll) and finds nobody in line does both in one claim.
   */
  async receive(key: string, options: BrokerReceiveOptions): Promise<Delivery[]> {
    options.signal?.throwIfAborted();
    let wokenMeanwhile = false;
    if (options.ack?.length) {
      if (this.waiters.has(key) || this.serving.has(key) || !this.commands.connection.ready) {
        await this.ack(key, options.ack);
      } else {
        const wakesBefore = this.wakes.get(key);
        const deliveries = await this.acknowledgeAndClaim(key, options.max, options.ack);
        wokenMeanwhile = wakesBefore !== this.wakes.get(key);
        if (deliveries && deliveries.length > 0) {
          if (options.signal?.aborted) {
            await this.unclaim(key, deliveries);
            options.signal.throwIfAborted();
          }
          return deliveries;
        }
        if (deliveries && !wokenMeanwhile) {
          this.drained.add(key);
        }
      }
    }
    const alone = !this.waiters.has(key);
    const waiting = this.waiters.wait(key, options);
    if (wokenMeanwhile || (alone && !this.drained.has(key))) {
      this.serve(key);
    }
    // Once subscribed, claim again: a publish may have come before the subscription did.
    void this.subscriber.watch(key).then((subscribedNow) => subscribedNow && this.serve(key));
    return (await waiting) ?? [];
  }

  async requeue(key: string, messages: Buffer[]): Promise<void> {
    await this.commands.requeue(key, messages);
    this.serve(key);
  }

  length(key: string): Promise<number> {
    return this.commands.idempotent(key, () => this.scripts.claimedLength(key, claimKeys(key).deadlines));
  }

  async ack(key: string, receipts: string[]): Promise<void> {
    await this.settle(key, 'ack', receipts);
  }

  async release(key: string, receipts: string[]): Promise<void> {
    await this.settle(key, 'release', receipts);
  }

  deadLetterCount(key: string): Promise<number> {
    return this.commands.idempotent(key, (redis) => redis.llen(claimKeys(key).dead));
  }

  readDeadLetters(key: string, offset: number, limit: number): Promise<Buffer[]> {
    return this.commands.idempotent(key, (redis) => redis.lrangeBuffer(claimKeys(key).dead, offset, offset + limit - 1));
  }

  /** Moves what is left, so sending it again is harmless; only its count would then miss what the lost reply moved. */
  requeueDeadLetters(key: string): Promise<number> {
    const { dead } = claimKeys(key);
    return this.commands.idempotent(key, () => this.scripts.requeueDead(dead, key, this.settings.messageTtl, wakeChannel(key)));
  }

  purgeDeadLetters(key: string): Promise<number> {
    return this.commands.idempotent(key, () => this.scripts.purgeDead(claimKeys(key).dead));
  }

  stats(): BrokerStats {
    return redisStats(this.connections);
  }

  /** Up when Redis answers a PING in time and the wake-up subscriber is connected. */
  health(): Promise<BrokerHealth> {
    return redisHealth(this.connections);
  }

  /** Stops waking and sweeping, lets the claims in progress settle (what nobody takes is unclaimed), then disconnects. */
  async close(): Promise<void> {
    clearInterval(this.sweep);
    this.subscriber.close();
    await Promise.all(this.serving.values());
    await this.commands.close();
  }

  private woken(key: string): void {
    this.wakes.set(key, (this.wakes.get(key) ?? 0) + 1);
    this.drained.delete(key);
    this.serve(key);
  }

  private serveAll(): void {
    [...this.waiters.keys()].forEach((key) => this.serve(key));
  }

  /** Claims for the waiters of `key`, oldest first, while there are waiters and messages; one run per key at a time. */
  private serve(key: string): void {
    if (!this.waiters.has(key)) {
      return;
    }
    if (this.serving.has(key)) {
      this.wokenAgain.add(key);
      return;
    }
    this.servedAt.set(key, Date.now());
    const run = (async () => {
      do {
        this.wokenAgain.delete(key);
        while (this.waiters.has(key)) {
          const wanted = this.waiters.wantedBy(key);
          const wakesBefore = this.wakes.get(key);
          const deliveries = await this.claim(key, wanted).catch((error: unknown) => {
            this.claimFailed(key, error);
            return undefined;
          });
          if (deliveries !== undefined && deliveries.length < wanted && wakesBefore === this.wakes.get(key)) {
            this.drained.add(key);
          }
          if (!deliveries?.length) {
            break;
          }
          if (!this.waiters.hand(key, deliveries)) {
            await this.unclaim(key, deliveries);
          }
        }
      } while (this.wokenAgain.has(key));
    })().finally(() => this.serving.delete(key));
    this.serving.set(key, run);
  }

  private claimFailed(key: string, error: unknown): void {
    if (error instanceof NotSentError) {
      return; // The connection is down: its 'ready' serves the key again.
    }
    if (isWrongType(error)) {
      this.waiters.fail(key, this.commands.foreign(new WrongKeyTypeError(key)));
    } else if (error instanceof ReplyLostError) {
      this.logger.warn(`The Redis connection dropped during a claim on "${key}"; what it claimed comes back after the visibility timeout`);
    } else {
      this.logger.warn(`A claim on "${key}" failed; it is tried again: ${(error as Error).message}`);
    }
  }

  /** Moves up to `max` messages into claims under fresh receipts, those come back unacknowledged first. */
  private async claim(key: string, max: number, acknowledged: string[] = []): Promise<Delivery[]> {
    const { claims, deadlines, dead } = claimKeys(key);
    const { visibilityTimeout, maxDeliveries, messageTtl } = this.settings;
    const nonce = newNonce();
    const [deadLettered, handed, refused] = await this.commands.connection.send(() =>
      this.scripts.claimBuffer(
        key,
        claims,
        deadlines,
        dead,
        max,
        visibilityTimeout,
        maxDeliveries,
        nonce,
        messageTtl,
        ...receiptParts(acknowledged),
      ),
    );
    throwRefusals(acknowledged, refused);
    if (deadLettered > 0) {
      this.logger.warn(deadLetterWarning(key, deadLettered, maxDeliveries));
      this.events.deadLettered(deadLettered);
    }
    const deliveries: Delivery[] = [];
    for (let i = 0; i < handed.length; i += 3) {
      const receipt = formatReceipt(String(handed[i]), nonce);
      deliveries.push({ message: handed[i + 2] as Buffer, receipt, deliveryCount: Number(handed[i + 1]) });
    }
    return deliveries;
  }

  /**
   * Acknowledges, then claims, in one round trip, with the errors of an acknowledgement; when the connection dropped
   * just before, acknowledges once it is back and claims nothing (undefined).
   */
  private async acknowledgeAndClaim(key: string, max: number, receipts: string[]): Promise<Delivery[] | undefined> {
    try {
      return await this.claim(key, max, receipts);
    } catch (error) {
      if (error instanceof NotSentError) {
        await this.ack(key, receipts);
        return undefined;
      }
      throw error instanceof ReceiptRefusedError ? error : this.acknowledgementFailure(key, error);
    }
  }

  /** Gives back claims that reached nobody, uncounted; should that fail, they come back after the visibility timeout. */
  private async unclaim(key: string, deliveries: Delivery[]): Promise<void> {
    await this.settle(key, 'unclaim', deliveries.map(({ receipt }) => receipt!)).catch((error: unknown) => {
      this.logger.warn(`Claims on "${key}" that reached nobody come back after the visibility timeout: ${(error as Error).message}`);
    });
  }

  /** Settles claims all or none; a ReceiptRefusedError names those that cannot be. */
  private async settle(key: string, mode: SettleMode, receipts: string[]): Promise<void> {
    const { claims, deadlines } = claimKeys(key);
    let refused: (Buffer | number | string)[];
    try {
      refused = await this.commands.connection.sendWhenReady(
        () => this.scripts.settle(claims, deadlines, mode, wakeChannel(key), ...receiptParts(receipts)),
        { within: REDIS_WAIT_MS },
      );
    } catch (error) {
      throw this.acknowledgementFailure(key, error);
    }
    throwRefusals(receipts, refused);
  }

  /** The module's own error for an acknowledgement that failed: of unknown outcome when its reply was lost. */
  private acknowledgementFailure(key: string, error: unknown): unknown {
    return error instanceof ReplyLostError ? new AcknowledgementOutcomeUnknownError(key) : this.commands.failure(key, error);
  }
}

/** The id and nonce of each receipt, as the scripts take them. */
function receiptParts(receipts: string[]): string[] {
  return receipts.flatMap((receipt) => Object.values(parseReceipt(receipt)));
}

/** A ReceiptRefusedError for what a script refused: { index (1-based), reason, … }. */
function throwRefusals(receipts: string[], refused: (Buffer | number | string)[]): void {
  if (refused.length > 0) {
    const refusals = [];
    for (let i = 0; i < refused.length; i += 2) {
      refusals.push({ receipt: receipts[Number(refused[i]) - 1], reason: String(refused[i + 1]) as ReceiptRefusal['reason'] });
    }
    throw new ReceiptRefusedError(refusals);
  }
}
