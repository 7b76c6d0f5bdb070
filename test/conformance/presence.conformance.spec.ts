import { afterEach, describe, expect, it } from '@jest/globals';
import { InvalidEndpointError } from '../../lib/index.js';
import { backendSetups, setups } from '../support/adapters.js';
import { freshNamespace } from '../support/brokers.js';
import { leavingPoll, request } from '../support/http-client.js';
import { startPistachio, TestApp } from '../support/start-app.js';
import { until } from '../support/until.js';

describe.each(setups)('Presence on $name', ({ broker, adapter }) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  const presence = (endpoint: string) => app.pistachio.presence(endpoint);

  it('counts the polls and receives waiting on an endpoint as they arrive, are answered and leave', async () => {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', timeout: 10_000, ...broker.options() }, { adapter });
    expect(await presence('room')).toBe(0);

    const leaving = leavingPoll(`${app.url}/messages/room`);
    const answered = request(`${app.url}/messages/room`);
    const elsewhere = request(`${app.url}/messages/hall`);
    const receiving = app.queue.receive('room', { timeout: 10_000 });
    await until(async () => (await presence('room')) === 3 && (await presence('hall')) === 1);

    leaving.leave();
    await leaving.answer;
    await until(async () => (await presence('room')) === 2);

    await app.pistachio.publish('room', 'one');
    await app.pistachio.publish('room', 'two');
    expect([(await answered).body, String(await receiving)].sort()).toEqual(['one', 'two']);
    expect(await presence('room')).toBe(0);

    await app.pistachio.publish('hall', 'three');
    expect((await elsewhere).body).toBe('three');
    expect(await presence('hall')).toBe(0);
  });

  it('refuses an invalid endpoint name', async () => {
    app = await startPistachio({ namespace: freshNamespace(), path: '/messages', ...broker.options() }, { adapter });

    await expect(presence('no spaces')).rejects.toThrow(InvalidEndpointError);
  });
});

describe.each(backendSetups)('Presence of broadcast subscribers on $name', ({ broker, adapter }) => {
  let app: TestApp;
  afterEach(() => app.app.close());

  it('counts the polls waiting on a channel until a message answers them', async () => {
    const options = { namespace: freshNamespace(), path: '/live', mode: 'broadcast', timeout: 10_000, ...broker.options() } as const;
    app = await startPistachio(options, { adapter });
    const polls = [request(`${app.url}/live/news`), request(`${app.url}/live/news`)];
    await until(async () => (await app.pistachio.presence('news')) === 2);

    await app.pistachio.publish('news', 'extra');
    expect((await Promise.all(polls)).map((answer) => answer.body)).toEqual(['extra', 'extra']);
    expect(await app.pistachio.presence('news')).toBe(0);
  });
});
