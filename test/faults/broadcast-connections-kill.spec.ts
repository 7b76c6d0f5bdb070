import { describe, expect, it } from '@jest/globals';
import { parseMultiplexedCursor } from '../../lib/channels/multiplexed-cursor.js';
import { PublishOutcomeUnknownError } from '../../lib/index.js';
import { freshNamespace, redisUrl, singleRedis, withRedis } from '../support/brokers.js';
import { Received, readersWaiting, receivedFrom } from '../support/channel-subscribers.js';
import { killConnections } from '../support/connection-killer.js';
import { request } from '../support/http-client.js';
import { ReconnectingStream } from '../support/reconnecting-stream.js';
import { startPistachio } from '../support/start-app.js';
import { until } from '../support/until.js';

/** A subscriber that polls in batches with its cursor until stopped, retrying whatever fails. */
function follow(url: string, after: string): { received: Received[]; stop(): Promise<void> } {
  const received: Received[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const answer = await request(`${url}?max=50&after=${received.at(-1)?.id ?? after}`).catch(() => undefined);
      if (answer?.status === 200) {
        received.push(...receivedFrom(answer));
      }
    }
  })();
  return { received, stop: () => ((stopped = true), loop) };
}

describe('Broadcast with both Redis connections killed again and again, and other clients XADDing', () => {
  it('gives every subscriber, polling or streaming, every message the channels hold, once each and in order', async () => {
    const namespace = freshNamespace();
    const app = await startPistachio({
      namespace,
      path: '/feed',
      mode: 'broadcast',
      timeout: 2_000,
      retention: 5_000,
      redis: redisUrl(),
    });
    const channels = ['alpha', 'beta'];
    // Each channel starts with a message of the module's, so that subscribers begin at a cursor.
    for (const channel of channels) {
      await app.pistachio.publish(channel, 'start');
    }
    const starts = await withRedis((redis) => Promise.all(channels.map((channel) => redis.xrange(`${namespace}:${channel}`, '-', '+'))));
    const followers = channels.flatMap((channel, c) =>
      Array.from({ length: 5 }, () => ({ channel, ...follow(`${app.url}/feed/${channel}`, starts[c][0][0]) })),
    );
    // Streams too, of each channel and of both, reconnecting as EventSource does (with Last-Event-ID).
    const streams = [...channels, channels.join(',')].map((path) => {
      const from = path.includes(',') ? channels.map((channel, c) => `${channel}~${starts[c][0][0]}`).join(',') : starts[channels.indexOf(path)][0][0];
      return { path, stream: new ReconnectingStream(() => `${app.url}/feed/${path}`, from) };
    });
    for (const channel of channels) {
      await readersWaiting(app, `${namespace}:${channel}`, 10, singleRedis);
    }

    const published = new Set<string>();
    const uncertain = new Set<string>();
    const killing = killConnections(namespace);
    await withRedis(async (redis) => {
      for (let i = 0; i < 1_500; i++) {
        const channel = channels[i % channels.length];
        if (i % 50 === 25) {
          // Another Redis client appends: no notification, found by the next publish or the next poll.
          await redis.xadd(`${namespace}:${channel}`, '*', 'message', `x${i}`);
          published.add(`x${i}`);
        } else {
          await app.pistachio.publish(channel, `m${i}`).then(
            () => published.add(`m${i}`),
            (error: unknown) => {
              if (!(error instanceof PublishOutcomeUnknownError)) {
                throw error;
              }
              uncertain.add(`m${i}`);
            },
          );
        }
      }
    });
    const kills = await killing.stop();

    const held = await withRedis((redis) =>
      Promise.all(channels.map((channel) => redis.xrange(`${namespace}:${channel}`, '-', '+'))),
    );
    const expected = new Map(channels.map((channel, c) => [channel, held[c].slice(1).map(([id, [, body]]) => ({ id, body }))]));
    await until(
      () => followers.every(({ channel, received }) => received.length >= expected.get(channel)!.length),
      30_000,
    );
    const streamed = (path: string) => (path.includes(',') ? channels : [path]).reduce((sum, channel) => sum + expected.get(channel)!.length, 0);
    await until(() => streams.every(({ path, stream }) => stream.received.length >= streamed(path)), 30_000);
    await Promise.all(followers.map(({ stop }) => stop()));
    const stopping = streams.map(({ stream }) => stream.stop());
    await app.app.close();
    await Promise.all(stopping);

    const stored = new Set([...expected.values()].flat().map(({ body }) => body));
    const counts = followers.map(({ channel, received }) => {
      const bodies = received.map(({ body }) => body);
      const distinct = new Set(bodies);
      const ofChannel = [...published].filter((body) => Number(body.slice(1)) % channels.length === channels.indexOf(channel));
      return {
        delivered: bodies.length,
        lost: ofChannel.filter((body) => !distinct.has(body)).length,
        duplicated: bodies.length - distinct.size,
        unknown: bodies.filter((body) => !published.has(body) && !uncertain.has(body)).length,
      };
    });
    const total = (count: keyof (typeof counts)[number]) => counts.reduce((sum, each) => sum + each[count], 0);
    console.log(
      `broadcast, module connections killed ${kills} times: ${JSON.stringify({
        published: published.size,
        uncertain: uncertain.size,
        uncertainStored: [...uncertain].filter((body) => stored.has(body)).length,
        subscribers: followers.length,
        streams: streams.length,
        streamReconnects: streams.reduce((sum, { stream }) => sum + stream.reconnects, 0),
        delivered: total('delivered'),
        lost: total('lost'),
        duplicated: total('duplicated'),
        unknown: total('unknown'),
      })}`,
    );
    expect(kills).toBeGreaterThan(20);
    expect([total('lost'), total('duplicated'), total('unknown')]).toEqual([0, 0, 0]);
    // Every subscriber got exactly what its channel holds, in the channel's order.
    for (const { channel, received } of followers) {
      expect(received.map(({ id, body }) => ({ id, body }))).toEqual(expected.get(channel));
    }
    // And every stream, each channel's events with their ids (on the stream of both, its cursor's position in it).
    for (const { path, stream } of streams) {
      for (const channel of path.split(',')) {
        const events = path.includes(',') ? stream.received.filter(({ type }) => type === channel) : stream.received;
        const id = (lastEventId: string) => (path.includes(',') ? parseMultiplexedCursor(lastEventId).get(channel) : lastEventId);
        expect(events.map(({ lastEventId, data }) => ({ id: id(lastEventId), body: data }))).toEqual(expected.get(channel));
      }
    }
  }, 120_000);
});
