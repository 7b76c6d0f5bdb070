import { AcknowledgementOutcomeUnknownError, ReceiptRefusal, ReceiptRefusedError, WrongKeyTypeError } from '../../errors/index.js';
import type { Delivery, ResolvedPistachioOptions } from '../../interfaces/index.js';
import type { BrokerEvents } from '../../monitoring/delivery-events.interface.js';
import { formatReceipt, newNonce, parseReceipt } from '../../receipt.js';
import { REDIS_WAIT_MS } from '../../redis/broker-commands.js';
import { DeploymentBroker, DeploymentShare } from '../../redis/deployment-broker.js';
import { NotDurableError } from '../../redis/durable-writes.js';
import { companionKey, wakeChannel } from '../../redis/key-layout.js';
import type { RedisDeployments } from '../../redis/redis-deployments.js';
import type { RedisCommands } from '../../redis/redis-client.js';
import { isWrongType } from '../../redis/redis-replies.js';
import { NotSentError, ReplyLostError } from '../../redis/single-send-connection.js';
import { AcknowledgedBroker, AcknowledgingReceiveOptions } from '../broker.interface.js';
import { BrokerSettings } from '../broker-settings.interface.js';
import { deadLetterWarning } from '../dead-letter-warning.js';
import { CLAIMABLE, ClaimReply, claimScripts, SettleMode } from './claim-scripts.js';
import { delayedKeys } from './delayed-scripts.js';
import { expiriesKey } from './expiry-scripts.js';
import { RedisQueueBroker } from './redis-queue-broker.js';
import { Taken } from './waited-keys.js';

/** The keys acknowledged delivery keeps beside a queue, in its hash slot. */
function claimKeys(key: string): { claims: string; deadlines: string; dead: string } {
  return { claims: companionKey(key, 'claims'), deadlines: companionKey(key, 'deadlines'), dead: companionKey(key, 'dead') };
}

/**
 * At-least-once queues on Redis. The queue is the same list as at most once (other clients may RPUSH to it); a
 * receive moves messages from it into claims with one script, so that no fault between the pop and the record loses
 * one, and a claim not acknowledged in time is delivered again. Waiting polls wait as at most once (see WaitedKeys):
 * woken by the publish, this instance claims for its oldest waiter.
 */
export class AcknowledgedRedisBroker extends RedisQueueBroker<Delivery> implements AcknowledgedBroker {
  private constructor(
    share: DeploymentShare,
    private readonly settings: BrokerSettings,
    private readonly events: BrokerEvents,
  ) {
    super(share, settings, CLAIMABLE);
  }

  /** Connects (or shares) the deployment; rejects with the module's error if Redis is away or unfit. */
  static connect(
    options: ResolvedPistachioOptions,
    events: BrokerEvents,
    deployments: RedisDeployments,
  ): Promise<AcknowledgedRedisBroker> {
    return DeploymentBroker.open(options, deployments, (share) => new AcknowledgedRedisBroker(share, options, events));
  }

  /**
   * Waits in line for this instance's claims (see WaitedKeys). A receive that acknowledges (a looping client's next
   * poll) and finds nobody in line does both in one claim.
   */
  async receive(key: string, options: AcknowledgingReceiveOptions): Promise<Delivery[]> {
    options.signal?.throwIfAborted();
    const alone = !this.keys.busy(key) && this.commands.connection.ready(key);
    const place = this.keys.arrive(key);
    try {
      let wokenMeanwhile = false;
      if (options.ack?.length && !alone) {
        await this.ack(key, options.ack);
      } else if (options.ack?.length) {
        const wakesBefore = this.keys.wakesOf(key);
        const deliveries = await this.acknowledgeAndClaim(key, options.max, options.ack);
        wokenMeanwhile = wakesBefore !== this.keys.wakesOf(key);
        if (deliveries && deliveries.length > 0) {
          if (options.signal?.aborted) {
            await this.giveBack(key, deliveries);
            options.signal.throwIfAborted();
          }
          return deliveries;
        }
        if (deliveries) {
          this.keys.drainedSince(key, wakesBefore);
        }
      }
      return (await place.wait({ ...options, serveNow: wokenMeanwhile })) ?? [];
    } finally {
      place.leave();
    }
  }

  async requeue(key: string, messages: Buffer[]): Promise<void> {
    await this.commands.requeue(key, messages);
    this.keys.refilled(key);
  }

  length(key: string): Promise<number> {
    return this.commands.idempotent(key, (client) => claimScripts(client).claimedLength(key, claimKeys(key).deadlines, delayedKeys(key).due));
  }

  async ack(key: string, receipts: string[]): Promise<void> {
    await this.settle(key, 'ack', receipts);
  }

  async release(key: string, receipts: string[]): Promise<void> {
    await this.settle(key, 'release', receipts);
  }

  async extend(key: string, receipts: string[], visibility: number): Promise<void> {
    const { claims, deadlines } = claimKeys(key);
    await this.acknowledgement(key, receipts, (client) => claimScripts(client).extend(claims, deadlines, visibility, ...receiptParts(receipts)));
  }

  deadLetterCount(key: string): Promise<number> {
    return this.commands.idempotent(key, (client) => client.llen(claimKeys(key).dead));
  }

  readDeadLetters(key: string, offset: number, limit: number): Promise<Buffer[]> {
    return this.commands.idempotent(key, (client) => client.lrangeBuffer(claimKeys(key).dead, offset, offset + limit - 1));
  }

  /** Moves what is left, so sending it again is harmless; only its count would then miss what the lost reply moved. */
  requeueDeadLetters(key: string): Promise<number> {
    const { dead } = claimKeys(key);
    return this.commands.idempotent(key, (client) =>
      claimScripts(client).requeueDead(dead, key, this.settings.messageTtl, wakeChannel(key)),
    );
  }

  purgeDeadLetters(key: string): Promise<number> {
    return this.commands.idempotent(key, (client) => claimScripts(client).purgeDead(claimKeys(key).dead));
  }

  protected async take(key: string, max: number): Promise<Taken<Delivery>> {
    const taken = await this.claim(key, max);
    return { taken, emptied: taken.length < max };
  }

  protected deliveries(taken: Delivery[]): Delivery[] {
    return taken;
  }

  protected takeFailed(key: string, error: unknown): void {
    if (error instanceof NotSentError) {
      return; // The connection is down: its 'ready' serves the key again.
    }
    if (isWrongType(error)) {
      this.keys.waiters.fail(key, this.commands.foreign(new WrongKeyTypeError(key)));
    } else if (error instanceof ReplyLostError) {
      this.logger.warn(`The Redis connection dropped during a claim on "${key}"; what it claimed comes back after the visibility timeout`);
    } else if (error instanceof NotDurableError) {
      this.logger.warn(`Claims on "${key}" were given back: ${error.message}`);
    } else {
      this.logger.warn(`A claim on "${key}" failed; it is tried again: ${(error as Error).message}`);
    }
  }

  /**
   * Moves up to `max` messages into claims under fresh receipts, those come back unacknowledged first. With
   * `durability`, claims that too few replicas confirmed are given back (a failover could forget them and deliver their
   * messages again as new), and the take fails.
   */
  private async claim(key: string, max: number, acknowledged: string[] = []): Promise<Delivery[]> {
    const { claims, deadlines, dead } = claimKeys(key);
    const delayed = delayedKeys(key);
    const { visibilityTimeout, maxDeliveries, messageTtl } = this.settings;
    const nonce = newNonce();
    try {
      const reply = await this.commands.take(key, (client) =>
        claimScripts(client).claimBuffer(
          key,
          claims,
          deadlines,
          dead,
          delayed.due,
          delayed.messages,
          expiriesKey(key),
          max,
          visibilityTimeout,
          maxDeliveries,
          nonce,
          messageTtl,
          ...receiptParts(acknowledged),
        ),
      );
      return this.claimed(key, reply, nonce, acknowledged);
    } catch (error) {
      if (error instanceof NotDurableError) {
        await this.giveBack(key, this.claimed(key, error.written as ClaimReply, nonce, acknowledged));
      }
      throw error;
    }
  }

  /** The deliveries a claim handed out, with its refusals thrown and its dead letters and expired messages counted. */
  private claimed(key: string, [deadLettered, handed, refused, expired]: ClaimReply, nonce: string, acknowledged: string[]): Delivery[] {
    throwRefusals(acknowledged, refused);
    if (expired > 0) {
      this.events.expired(expired);
    }
    if (deadLettered > 0) {
      this.logger.warn(deadLetterWarning(key, deadLettered, this.settings.maxDeliveries));
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
  protected async giveBack(key: string, deliveries: Delivery[]): Promise<void> {
    await this.settle(key, 'unclaim', deliveries.map(({ receipt }) => receipt!)).catch((error: unknown) => {
      this.logger.warn(`Claims on "${key}" that reached nobody come back after the visibility timeout: ${(error as Error).message}`);
    });
  }

  /** Settles claims all or none; a ReceiptRefusedError names those that cannot be. */
  private async settle(key: string, mode: SettleMode, receipts: string[]): Promise<void> {
    const { claims, deadlines } = claimKeys(key);
    await this.acknowledgement(key, receipts, (client) =>
      claimScripts(client).settle(claims, deadlines, mode, wakeChannel(key), ...receiptParts(receipts)),
    );
    if (mode !== 'ack') {
      this.keys.refilled(key);
    }
  }

  /** Sends a script on claims that answers the receipts it refused; a ReceiptRefusedError names them. */
  private async acknowledgement(
    key: string,
    receipts: string[],
    script: (client: RedisCommands) => Promise<(Buffer | number | string)[]>,
  ): Promise<void> {
    let refused: (Buffer | number | string)[];
    try {
      refused = await this.commands.connection.sendWhenReady(script, { key, within: REDIS_WAIT_MS });
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
