import { describe, expect, it } from '@jest/globals';
import { PublishOutcomeUnknownError } from '../../lib/index.js';
import { freshNamespace, redisUrl, withRedis } from '../support/brokers.js';
import { connectionsOf } from '../support/client-list.js';
import { FreezingProxy } from '../support/freezing-proxy.js';
import { request } from '../support/http-client.js';
import { LogCapture } from '../support/log-capture.js';
import { startPistachio } from '../support/start-app.js';
import { until } from '../support/until.js';

describe('A network that goes silent without closing the connections', () => {
  it('replaces the connections that stop answering, and serves polls again', async () => {
    const proxy = await FreezingProxy.start(redisUrl());
    const namespace = freshNamespace();
    const logs = new LogCapture();
    const app = await startPistachio(
      { namespace, path: '/messages', timeout: 30_000, redis: proxy.url },
      { logger: logs },
    );
    try {
      const waiting = request(`${app.url}/messages/through`);
      await app.arrivals.reached('through');
      await until(async () => (await connectionsOf(namespace)).some((client) => client.name.endsWith(':wake') && client.ssub === '1'));

      proxy.freeze();
      // A publish that went out into the silence neither hangs nor is sent again: its outcome is unknown.
      await expect(app.pistachio.publish('elsewhere', 'into the silence')).rejects.toThrow(PublishOutcomeUnknownError);
      // Both connections are replaced: the commands one when a reply is overdue, the wake-up one when a PING of the
      // probe is; only the new ones can serve the poll.
      await logs.logged('warn', /gave no reply in time: the connection is replaced/, 2);
      await withRedis((redis) => redis.rpush(`${namespace}:through`, 'served again'));
      expect(await waiting).toMatchObject({ status: 200, body: 'served again' });
      await app.pistachio.publish('after', 'the network is back');
      expect(await app.pistachio.length('after')).toBe(1);
    } finally {
      await app.app.close();
      await proxy.close();
    }
  }, 60_000);
});
