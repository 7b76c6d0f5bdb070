import { request } from './http-client.js';
import type { TestDeployment } from './brokers.js';
import { parseMultipart } from './multipart.js';
import { TestApp } from './start-app.js';
import { until } from './until.js';

/** A message as a subscriber got it. */
export interface Received {
  id: string;
  body: string;
  /** The answer's Pistachio-Gap, if it had one. */
  gap?: string;
}

/**
 * Resolves once `count` reads wait in `app` and, on Redis, the app listens on the channel's wake channel: a message
 * published from then on reaches every one of them.
 */
export async function readersWaiting(app: TestApp, key: string, count: number, redis?: TestDeployment): Promise<void> {
  await until(() => app.pistachio.stats().pollsWaiting >= count);
  if (redis) {
    await until(async () => (await redis.shardSubscribers(`{${key}}#wake`)) > 0);
  }
}

/** Polls `url` in a loop as a subscriber does, with the cursor of the last message it got, until it has `count`. */
export async function subscriber(url: string, count: number, after?: string): Promise<Received[]> {
  const received: Received[] = [];
  let cursor = after;
  while (received.length < count) {
    const answer = await request(cursor === undefined ? url : `${url}?after=${cursor}`);
    if (answer.status === 504) {
      continue;
    }
    if (answer.status !== 200) {
      throw new Error(`Poll answered ${answer.status}: ${answer.body}`);
    }
    const id = String(answer.headers['pistachio-id']);
    received.push({ id, body: answer.body });
    cursor = id;
  }
  return received;
}

/** One poll's messages: a single answer's, or each part of a batch's, with the gap it reported. */
export function receivedFrom(answer: Awaited<ReturnType<typeof request>>): Received[] {
  const gap = answer.headers['pistachio-gap'] as string | undefined;
  const messages = /^multipart\/mixed/.test(String(answer.headers['content-type']))
    ? parseMultipart(answer).map((part) => ({ id: part.headers['pistachio-id'], body: String(part.body) }))
    : [{ id: String(answer.headers['pistachio-id']), body: answer.body }];
  return messages.map((message, i) => (i === 0 && gap !== undefined ? { ...message, gap } : message));
}
