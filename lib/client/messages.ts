import { Acknowledgements } from './acknowledgements.js';
import { Backoff } from './backoff.js';
import { ChannelEvent } from './channel-event.js';
import { ClaimKeeper } from './claim-keeper.js';
import { acknowledge, Answer, Delivery, extend } from './poll.js';
import { PollTarget } from './poll-target.js';
import { polls, Transport } from './transport.js';
import { BodyFormat, MessageOf, PollOptions } from './poll-options.interface.js';

/**
 * The messages of one endpoint, as they come: `for await (const message of messages(url)) { … }`.
 * It polls again at once after a message or a 504; waits `Retry-After` after a 503 or a 429 (both mean "retry later");
 * backs off exponentially with full jitter after other server errors and network failures; stops with a
 * PollRefusedError on another 4xx (and with the SyntaxError of a body that is not the JSON asked for, or of a batch
 * that breaks its layout); ends quietly when `signal` aborts. With `max`, it asks for batches and yields their messages
 * one by one, in order.
 *
 * In an at-least-once registration (answers carry a `Pistachio-Receipt`), a message is acknowledged once you are done
 * with it: when you ask for the next one, or leave the loop (`break`, `return`, or an exception in its body, which
 * `for await` turns into a `return()`). Acknowledgements ride on the next poll (`?ack=`); those left when the loop
 * ends go as `DELETE`s before it settles. A `throw(error)` into the loop leaves the current message unacknowledged:
 * it comes again after the server's visibility timeout.
 *
 * In a broadcast registration (answers carry a `Pistachio-Id`), the loop follows the channel's cursor by itself: each
 * poll asks for what follows the last message you are done with (`?after=<id>`, from the same moment a message would be
 * acknowledged), so that a retry after a failure misses nothing the server still retains. Gaps go to `onGap`; to get
 * each message's id (to persist it, and resume with `after`), use {@link events}.
 */
export async function* messages<F extends BodyFormat = 'text'>(
  url: string | URL,
  options: PollOptions<F> = {},
): AsyncGenerator<MessageOf<F>, void, undefined> {
  const loop = events(url, options);
  try {
    for (let next = await loop.next(); !next.done; ) {
      const event = next.value;
      if (event.type === 'gap') {
        next = await loop.next();
        continue;
      }
      try {
        yield event.message;
      } catch (error) {
        // Thrown into this loop: thrown into the events' one, which leaves the message unacknowledged and ends.
        next = await loop.throw(error);
        continue;
      }
      next = await loop.next();
    }
  } finally {
    await loop.return();
  }
}

/**
 * The loop of {@link messages} (same options, same behaviour), as events: each message with its id in a broadcast
 * registration (`{ type: 'message', message, id }`), and before the first message after a gap, `{ type: 'gap', gap }`
 * (`onGap` is called too). `for await (const event of events(url, { after: saved })) { … save(event.id) … }`.
 */
export function events<F extends BodyFormat = 'text'>(
  url: string | URL,
  options: PollOptions<F> = {},
): AsyncGenerator<ChannelEvent<F>, void, undefined> {
  return followTarget(new PollTarget(url, options.endpoints, options.after), options);
}

/**
 * The loop of {@link events} on a target that its owner may change as it runs (see subscribe's setEndpoints), over
 * polls or another transport (subscribe's `transport`).
 */
export async function* followTarget<F extends BodyFormat>(
  target: PollTarget,
  options: PollOptions<F>,
  transport: Transport = polls(target, options),
): AsyncGenerator<ChannelEvent<F>, void, undefined> {
  const { signal, onRetry, sleep = abortableSleep, random = Math.random } = options;
  const backoff = new Backoff(options.backoff ?? {}, random);
  const acknowledgements = new Acknowledgements((receipt) => acknowledge(target, receipt, options));
  const finished = (delivery: Delivery) => {
    acknowledgements.add(target.receiptOf(delivery.receipt, delivery.endpoint));
    target.passed(delivery);
  };
  try {
    while (!signal?.aborted) {
      // Receipts of endpoints no longer polled cannot ride on the poll: they go as DELETEs.
      await acknowledgements.sendThose((receipt) => !target.carries(receipt));
      const outcome = await transport.next(acknowledgements.receipts);
      if ('deliveries' in outcome) {
        acknowledgements.accepted();
        backoff.reset();
      }
      if (signal?.aborted) {
        return;
      }
      if ('acknowledgementsRefused' in outcome) {
        await acknowledgements.refused();
      } else if ('failure' in outcome && target.restarted) {
        continue; // the list changed while the poll waited: poll the new one at once
      } else if ('failure' in outcome) {
        const delay = outcome.delay ?? backoff.next();
        onRetry?.(outcome.failure, delay);
        await sleep(delay, signal);
      } else {
        yield* deliver(outcome, target, options, finished);
      }
    }
  } finally {
    transport.close();
    await acknowledgements.flush();
  }
}

/**
 * An answer's gap, then its messages one by one, each `finished` (acknowledged, and the cursor moved past it) once the
 * consumer is done with it (asks for the next one, or leaves the loop); not one thrown back into the loop (subscribe's
 * onMessage failed) or whose body would not decode. Until then their claims are kept (see ClaimKeeper).
 */
async function* deliver<F extends BodyFormat>(
  { deliveries: answered, gaps }: Answer,
  target: PollTarget,
  options: PollOptions<F>,
  finished: (delivery: Delivery) => void,
): AsyncGenerator<ChannelEvent<F>, void, undefined> {
  const { as, signal, onGap } = options;
  for (const gap of gaps) {
    onGap?.(gap);
    yield { type: 'gap', gap };
  }
  const deliveries = answered.map((delivery) => ({ ...delivery, endpoint: target.endpointOf(delivery.endpoint) }));
  const keeper = new ClaimKeeper(
    deliveries,
    (delivery, visibility) => extend(target, target.receiptOf(delivery.receipt, delivery.endpoint)!, visibility, options),
    signal,
  );
  try {
    for (const delivery of deliveries) {
      if (signal?.aborted) {
        return;
      }
      let failed = false;
      try {
        const { id, endpoint } = delivery;
        yield { type: 'message', message: decode(delivery.body, as) as MessageOf<F>, id, ...(endpoint !== undefined && { endpoint }) };
      } catch (error) {
        failed = true;
        throw error;
      } finally {
        keeper.done(delivery);
        if (!failed) {
          finished(delivery);
        }
      }
    }
  } finally {
    keeper.stop();
  }
}

/** A body as the `as` option asks for it. */
export function decode(body: Uint8Array, as: BodyFormat = 'text'): unknown {
  if (as === 'bytes') {
    return body;
  }
  const text = new TextDecoder().decode(body);
  return as === 'json' ? JSON.parse(text) : text;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
