import { afterEach, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import { connect } from 'node:net';
import { AppInstance, startAppInstance } from '../support/app-instance.js';
import { withRedis } from '../support/brokers.js';
import { request } from '../support/http-client.js';
import { RedisServer } from '../support/redis/global-setup.js';

describe('The fault-test harness: app instances in processes of their own, on a redis-server to kill', () => {
  let server: RedisServer | undefined;
  let instances: AppInstance[] = [];
  afterEach(async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    instances = [];
    await server?.stop();
    server = undefined;
  });

  it('serves a message pushed to Redis from an instance, and from the other once that one is killed', async () => {
    server = await RedisServer.start();
    const redis = server.url;
    const options = { namespace: 'harness', path: '/messages', timeout: 5_000, redis };
    instances = await Promise.all([startAppInstance(options), startAppInstance(options)]);
    const [a, b] = instances;

    await withRedis((client) => client.rpush('harness:e', 'first'), redis);
    expect(await request(`${a.url}/messages/e`)).toMatchObject({ status: 200, body: 'first' });

    await a.kill();
    await expect(request(`${a.url}/messages/e`)).rejects.toThrow('ECONNREFUSED');
    await withRedis((client) => client.rpush('harness:e', 'second'), redis);
    expect(await request(`${b.url}/messages/e`)).toMatchObject({ status: 200, body: 'second' });
  }, 60_000);

  it('kills redis-server and restarts it on its port, with nothing kept by default', async () => {
    server = await RedisServer.start();
    await withRedis((client) => client.set('kept', 'yes'), server.url);

    await server.kill();
    expect(await refuses(server)).toBe(true);
    await server.restart();

    expect(await withRedis(async (client) => [await client.ping(), await client.get('kept')], server.url)).toEqual([
      'PONG',
      null,
    ]);
  });

  it('keeps what was written before the kill when its args ask for an AOF', async () => {
    server = await RedisServer.start({ args: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    await withRedis((client) => client.set('kept', 'yes'), server.url);

    await server.kill();
    await server.restart();

    expect(await withRedis((client) => client.get('kept'), server.url)).toBe('yes');
  });
});

/** Whether the server's port refuses a connection. */
async function refuses(server: RedisServer): Promise<boolean> {
  const socket = connect(server.port, '127.0.0.1');
  try {
    await once(socket, 'connect');
    return false;
  } catch {
    return true;
  } finally {
    socket.destroy();
  }
}
