import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freshNamespace, redisUrl, withRedis } from '../support/brokers.js';
import { startPistachio } from '../support/start-app.js';

const run = promisify(execFile);

describe('The 0.1 key migration script', () => {
  it("moves acknowledged delivery's keys to the 0.2 layout, after which the module serves them", async () => {
    const namespace = freshNamespace();
    const key = `${namespace}:jobs`;
    // What 0.1 left: a message claimed (id 1, delivered once, its deadline long passed), and a dead letter.
    await withRedis(async (redis) => {
      await redis.hset(`${key}#claims`, '1', 'claimed in 0.1', '1:n', '1', '1:r', 'nonce', '#seq', '1');
      await redis.zadd(`${key}#deadlines`, 0, '1');
      await redis.rpush(`${key}#dead`, 'dead in 0.1');
      await redis.rpush(key, 'queued in 0.1');
      // Another namespace's keys are not touched.
      await redis.rpush(`other-${namespace}:jobs#dead`, 'not mine');
    });

    const { stdout } = await run(process.execPath, ['scripts/migrate-keys-0.1.mjs', redisUrl(), namespace]);
    expect(stdout).toContain(`moved 3 keys of "${namespace}"`);
    expect(await withRedis((redis) => redis.exists(`${key}#claims`, `${key}#deadlines`, `${key}#dead`))).toBe(0);
    expect(await withRedis((redis) => redis.lrange(`other-${namespace}:jobs#dead`, 0, -1))).toEqual(['not mine']);

    const app = await startPistachio({ namespace, redis: redisUrl(), delivery: 'at-least-once' });
    try {
      const first = await app.pistachio.receiveDelivery('jobs');
      expect({ message: String(first?.message), deliveryCount: first?.deliveryCount }).toEqual({ message: 'claimed in 0.1', deliveryCount: 2 });
      expect(String(await app.pistachio.receive('jobs'))).toBe('queued in 0.1');
      expect((await app.pistachio.deadLetters.read('jobs')).map(String)).toEqual(['dead in 0.1']);
    } finally {
      await app.app.close();
      await withRedis((redis) => redis.del(`other-${namespace}:jobs#dead`));
    }
  });

  it('leaves a key whose new name is taken, says so, and exits with 1', async () => {
    const namespace = freshNamespace();
    await withRedis(async (redis) => {
      await redis.rpush(`${namespace}:jobs#dead`, 'old');
      await redis.rpush(`{${namespace}:jobs}#dead`, 'new');
    });
    const failing = run(process.execPath, ['scripts/migrate-keys-0.1.mjs', redisUrl(), namespace]);
    await expect(failing).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining(`left ${namespace}:jobs#dead`) });
    expect(await withRedis((redis) => redis.lrange(`${namespace}:jobs#dead`, 0, -1))).toEqual(['old']);
  });
});
