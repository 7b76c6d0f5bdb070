import { afterEach, describe, expect, it } from '@jest/globals';
import { Registry } from 'prom-client';
import { AppInstance, startAppInstance } from '../support/app-instance.js';
import { deployments, freshNamespace } from '../support/brokers.js';
import { leavingPoll, request } from '../support/http-client.js';
import { sample } from '../support/metrics.controller.js';
import { startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(deployments)('Presence across two instances on $name', (deployment) => {
  let app: TestApp;
  let other: AppInstance;
  afterEach(async () => {
    await other.stop();
    await app.app.close();
  });

  it('counts the polls waiting on either instance, as they arrive and leave, and drops a killed instance within seconds', async () => {
    const namespace = freshNamespace();
    const options = { namespace, path: '/messages', timeout: 20_000, redis: deployment.option() };
    const registry = new Registry();
    app = await startPistachio({ ...options, metrics: { registry } });
    other = await startAppInstance(options);
    const presence = (endpoint: string) => app.pistachio.presence(endpoint);
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
});
