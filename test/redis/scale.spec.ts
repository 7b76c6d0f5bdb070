import { describe, expect, it } from '@jest/globals';
import { freshNamespace, redisUrl } from '../support/brokers.js';
import { connectionsOf } from '../support/client-list.js';
import { HttpAnswer, request } from '../support/http-client.js';
import { startPistachio } from '../support/start-app.js';

describe.each(['at-most-once', 'at-least-once'] as const)('RedisBroker connections, %s', (delivery) => {
  it('keeps to two connections however many polls wait, and wakes exactly the poller of each endpoint', async () => {
    const namespace = freshNamespace();
    const app = await startPistachio({
      namespace,
      path: '/messages',
      timeout: 60_000,
      redis: redisUrl(),
      delivery,
    });
    const endpoints = Array.from({ length: 2_000 }, (_, i) => `waiting-${i}`);
    const polls: Promise<HttpAnswer>[] = [];
    // In groups, each once the previous one waits: 2,000 connections at once overflow the listen backlog on a loaded machine.
    for (let group = 0; group < endpoints.length; group += 250) {
      const arriving = endpoints.slice(group, group + 250);
      polls.push(...arriving.map((endpoint) => request(`${app.url}/messages/${endpoint}`)));
      await Promise.all(arriving.map((endpoint) => app.arrivals.reached(endpoint)));
    }

    // Its own connections, named by the module: one for commands, one that hears wake-ups.
    expect((await connectionsOf(namespace)).map(({ name }) => name).sort()).toEqual(
      [`pistachio:${namespace}:commands`, `pistachio:${namespace}:wake`],
    );

    const woken = endpoints.filter((_, i) => i % 20 === 7);
    expect(woken).toHaveLength(100);
    await Promise.all(woken.map((endpoint) => app.pistachio.publish(endpoint, `for ${endpoint}`)));
    const answers = await Promise.all(woken.map((endpoint) => polls[endpoints.indexOf(endpoint)]));
    expect(answers.map((answer) => answer.body)).toEqual(woken.map((endpoint) => `for ${endpoint}`));

    await app.app.close();
    const rest = await Promise.all(polls);
    expect(rest.filter((answer) => answer.status === 200)).toHaveLength(100);
    expect(rest.filter((answer) => answer.status === 503)).toHaveLength(1_900);
  }, 60_000);
});
