import { describe, expect, it } from '@jest/globals';
import { getEventListeners } from 'node:events';
import { MemoryBroker } from './brokers/memory/memory.broker.js';
import { ShuttingDownError } from './errors/index.js';
import { RegistrationMonitor } from './monitoring/registration-monitor.js';
import { PistachioService } from './pistachio.service.js';
import { resolvePistachioOptions } from './pistachio.options.js';

function createService(): PistachioService {
  const options = resolvePistachioOptions({ namespace: 'unit', timeout: 10_000 }, { path: '/unit', name: undefined });
  const monitor = new RegistrationMonitor();
  return new PistachioService(options, new MemoryBroker(options, monitor), monitor);
}

describe('PistachioService', () => {
  it('removes its listener from the caller\'s signal once the receive is over', async () => {
    const pistachio = createService();
    const abort = new AbortController();
    const receiving = pistachio.receive('e', { signal: abort.signal });
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(1);

    await pistachio.publish('e', 'm');
    await receiving;
    expect(getEventListeners(abort.signal, 'abort')).toHaveLength(0);
  });

  it('ends pending receives with ShuttingDownError, refuses new ones, and still stores what is published', async () => {
    const pistachio = createService();
    const pending = expect(pistachio.receive('e')).rejects.toThrow(ShuttingDownError);

    await pistachio.beforeApplicationShutdown();
    await pending;
    await expect(pistachio.receive('e')).rejects.toThrow(ShuttingDownError);
    await pistachio.publish('e', 'kept');
    expect(await pistachio.length('e')).toBe(1);
  });
});
