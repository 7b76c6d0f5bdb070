import { afterEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { AppInstance, startAppInstance } from '../support/app-instance.js';
import { deployments, freshNamespace } from '../support/brokers.js';
import { leavingPoll, request } from '../support/http-client.js';
import { sample } from '../support/metrics.controller.js';
import { startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';
import { endpointKey } from '../../lib/endpoint-key.js';
import { companionKey } from '../../lib/redis/key-layout.js';

describe.each(deployments)('Presence across two instances on $name', (deployment) => {
  let app: TestApp | undefined;
  let other: AppInstance | undefined;
  afterEach(async () => {
    await other?.stop();
    await app?.app.close();
    app = other = undefined;
  });

  it('counts the polls waiting on either instance, as they arrive and leave, and drops a killed instance within seconds', async () => {
    const namespace = freshNamespace();
    const options = { namespace, path: '/messages', timeout: 20_000, redis: deployment.option() };
    const registry = new Registry();
    app = await startPistachio({ ...options, metrics: { registry } });
    other = await startAppInstance(options);
    const presence = (endpoint: string) => app!.pistachio.presence(endpoint);
    const subscribers = async () => sample(await registry.metrics(), `pistachio_subscribers{namespace="${namespace}",name=""}`);

    const here = request(`${app.url}/messages/room`);
    const there = [leavingPoll(`${other.url}/messages/room`), leavingPoll(`${other.url}/messages/room`)];
    const hall = leavingPoll(`${other.url}/messages/hall`);
    await until(async () => (await presence('room')) === 3 && (await presence('hall')) === 1);
    await until(async () => (await subscribers()) === 4);

    there[0].leave();
    await there[0].answer;
    await until(async () => (await presence('room')) === 2);

    await other.kill();
    await until(async () => (await presence('room')) === 1 && (await presence('hall')) === 0, 10_000);
    await until(async () => (await subscribers()) === 1);

    await app.pistachio.publish('room', 'm');
    expect((await here).body).toBe('m');
    expect(await presence('room')).toBe(0);
  }, 30_000);

  it('leaves no key behind when an instance closes with polls waiting', async () => {
    const namespace = freshNamespace();
    app = await startPistachio({ namespace, path: '/messages', timeout: 20_000, redis: deployment.option() });
    const keys = ['room', 'hall'].map((endpoint) => companionKey(endpointKey(namespace, endpoint), 'presence'));
    const polls = [leavingPoll(`${app.url}/messages/room`), leavingPoll(`${app.url}/messages/hall`)];
    const existing = () => deployment.with(async (client) => (await Promise.all(keys.map((key) => client.exists(key)))).reduce((a, b) => a + b));
    await until(async () => (await existing()) === 2);

    await app.app.close();
    app = undefined;
    await Promise.all(polls.map((poll) => poll.answer));
    expect(await existing()).toBe(0);
    const instances = await deployment.with((client) => client.exists(companionKey(namespace, 'instances'), companionKey(namespace, 'totals')));
    expect(instances).toBe(0);
  });
});
