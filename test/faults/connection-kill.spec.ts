import { describe, expect, it } from '@jest/globals';
import { freshNamespace, redisUrl } from '../support/brokers.js';
import { killConnections } from '../support/connection-killer.js';
import { LeavingPollers, stopWhenDrained } from '../support/leaving-pollers.js';
import { LogCapture } from '../support/log-capture.js';
import { MessageLedger } from '../support/message-ledger.js';
import { startPistachio } from '../support/start-app.js';

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

    const killing = killConnections(namespace, { which: (name) => name.endsWith(':commands') });
    for (let i = 0; i < 3_000; i++) {
      await ledger.publish(app.pistachio, endpoints[i % endpoints.length], `m${i}`);
    }
    const kills = await killing.stop();
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
