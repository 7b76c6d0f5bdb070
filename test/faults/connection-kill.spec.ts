import { describe, expect, it } from '@jest/globals';
import { setTimeout as delay } from 'node:timers/promises';
import { freshNamespace, redisUrl, withRedis } from '../support/brokers.js';
import { connectionsOf } from '../support/client-list.js';
import { LeavingPollers, stopWhenDrained } from '../support/leaving-pollers.js';
import { LogCapture } from '../support/log-capture.js';
import { MessageLedger } from '../support/message-ledger.js';
import { startPistachio } from '../support/start-app.js';

/** How often the command connection is killed: the schedule of the fault. */
const KILL_EVERY_MS = 50;

describe('The command connection killed again and again under traffic', () => {
  it('runs no command twice: nothing duplicated, nothing lost beyond the pops whose reply died', async () => {
    const namespace = freshNamespace();
    const logs = new LogCapture();
    const app = await startPistachio({ namespace, path: '/messages', timeout: 2_000, redis: redisUrl() }, { logger: logs });
    const endpoints = Array.from({ length: 20 }, (_, i) => `kill-${i}`);
    const ledger = new MessageLedger();
    const pollers = new LeavingPollers(
      Array.from({ length: 40 }, (_, i) => `${app.url}/messages/${endpoints[i % endpoints.length]}`),
      0,
      0,
    );

    let publishing = true;
    let kills = 0;
    const killing = (async () => {
      while (publishing) {
        const commands = (await connectionsOf(namespace)).find((client) => client.name.endsWith(':commands'));
        if (commands) {
          kills += await withRedis((redis) => redis.client('KILL', 'ID', commands.id) as Promise<number>);
        }
        await delay(KILL_EVERY_MS);
      }
    })();
    for (let i = 0; i < 3_000; i++) {
      await ledger.publish(app.pistachio, endpoints[i % endpoints.length], `m${i}`);
    }
    publishing = false;
    await killing;
    const left = await stopWhenDrained(app, pollers, endpoints, ledger);
    await app.app.close();

    const lostPops = logs.count('warn', /dropped during a pop/);
    const counts = ledger.settle(`command connection killed ${kills} times, pops lost with their reply ${lostPops}`, left);
    expect(kills).toBeGreaterThan(20);
    expect(counts.duplicated).toBe(0);
    expect(counts.unknown).toBe(0);
    expect(counts.lost).toBeLessThanOrEqual(lostPops);
  }, 120_000);
});
