import { describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { MemoryBroker } from './brokers/memory/memory.broker.js';
import { ShuttingDownError } from './errors/index.js';
import { RegistrationMonitor } from './monitoring/registration-monitor.js';
import { PistachioQueue } from './pistachio-queue.js';
import { LocalPresence } from './presence/local-presence.js';
import { PistachioService } from './pistachio.service.js';
import { resolvePistachioOptions } from './pistachio.options.js';
import { Receives } from './receives.js';

/** A registration's service and queue, wired as the module wires them. */
function createService(): { pistachio: PistachioService; queue: PistachioQueue } {
  const options = resolvePistachioOptions(
    { namespace: 'unit', timeout: 10_000 },
    { path: '/unit', name: undefined, mode: 'queue', delivery: 'at-most-once' },
  );
  const monitor = new RegistrationMonitor();
  const broker = new MemoryBroker(options, monitor);
  const receives = new Receives(options, monitor);
  const queue = new PistachioQueue(options, broker, receives, monitor);
  return { pistachio: new PistachioService(options, broker, monitor, receives, queue, new LocalPresence(receives)), queue };
}

describe('PistachioService and PistachioQueue', () => {
  it('removes its listener from the caller\'s signal once the receive is over', async () => {
    const { pistachio, queue } = createService();
    const abort = new AbortController();
    const receiving = queue.receive('e', { signal: abort.signal });
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(1);

    await pistachio.publish('e', 'm');
    await receiving;
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });

  it('ends pending receives with ShuttingDownError, refuses new ones, and still stores what is published', async () => {
    const { pistachio, queue } = createService();
    const pending = expect(queue.receive('e')).rejects.toThrow(ShuttingDownError);

    await pistachio.beforeApplicationShutdown();
    await pending;
    await expect(queue.receive('e')).rejects.toThrow(ShuttingDownError);
    await pistachio.publish('e', 'kept');
    expect(await pistachio.length('e')).toBe(1);
  });
});
