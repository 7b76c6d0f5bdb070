import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, TestingModule } from '@nestjs/testing';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, Browser, BrowserContext, errors, Locator } from 'playwright-core';
import { getPistachioToken, PistachioModule, PistachioService } from '../../lib/index.js';
import { redisUrl } from '../support/brokers.js';
import { SampleProcess, startSample } from '../support/sample-process.js';
import { until } from '../support/until.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = new URL('./screenshots/', import.meta.url);
const available = existsSync(CHROMIUM) || Boolean(process.env.CI);
if (!available) {
  console.warn(`Skipping the browser test: no ${CHROMIUM}. Install it with: apt-get install -y chromium`);
}

describe('The sample page in a real browser', () => {
  let sample: SampleProcess;
  let browser: Browser;

  beforeAll(async () => {
    if (!available) return;
    // The sample runs on the test Redis, so that this test can publish through a PistachioService of its own.
    sample = await startSample({ PORT: '0', REDIS_URL: redisUrl() });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--no-first-run', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sample?.stop();
  });

  (available ? it : it.skip)('shows a message sent with the form and one published by the service', async () => {
    const endpoint = `browser-${process.pid}-${Date.now()}`;
    const page = await browser.newPage();
    const queue = page.getByRole('region', { name: 'Queue' });
    await page.goto(`${sample.url}?endpoint=${endpoint}`);
    await queue.getByText(`Waiting for messages on “${endpoint}”`).waitFor();

    await queue.getByLabel('Message').fill('Hello from the form');
    await queue.getByRole('button', { name: 'Send' }).click();
    await queue.locator('.messages li', { hasText: 'Hello from the form' }).waitFor();

    const publisher = await Test.createTestingModule({
      imports: [PistachioModule.forRoot({ namespace: 'sample', redis: redisUrl() })],
    }).compile();
    await publisher.get(PistachioService).publish(endpoint, 'Hello from PistachioService');
    await publisher.close();
    await queue.locator('.messages li', { hasText: 'Hello from PistachioService' }).waitFor();

    expect(await queue.locator('.messages li').allTextContents()).toEqual([
      expect.stringContaining('Hello from PistachioService'),
      expect.stringContaining('Hello from the form'),
    ]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: new URL('sample.png', SCREENSHOTS).pathname, fullPage: true });
  }, 60_000);

  (available ? it : it.skip)('shows every message of a channel in both of two tabs, in order', async () => {
    const channel = `browser-${process.pid}-${Date.now()}`;
    const context = await browser.newContext();
    const { publisher, channels } = await channelPublisher();
    try {
      const { tabs, sections } = await subscribedTabs(context, `${sample.url}?channel=${channel}`, `Subscribed to “${channel}”`, (ping) =>
        channels.publish(channel, ping),
      );

      // The user switches to tab A to send: a background tab runs no animation frames, which Playwright's clicks await.
      const [tabA] = tabs;
      const [channelInA] = sections;
      await tabA.bringToFront();
      await channelInA.getByLabel('Message').fill('Hello from tab A');
      await channelInA.getByRole('button', { name: 'Send' }).click();
      await shownIn(sections, 'Hello from tab A');
      await channels.publish(channel, 'Hello from PistachioService');
      await shownIn(sections, 'Hello from PistachioService');

      const ids: string[][] = [];
      for (const section of sections) {
        // Newest first, and before them only the pings that made sure the tab was subscribed.
        const shown = await section.locator('.messages li').allTextContents();
        expect(shown).toEqual([
          expect.stringContaining('Hello from PistachioService'),
          expect.stringContaining('Hello from tab A'),
          ...shown.slice(2).map(() => expect.stringContaining('ping')),
        ]);
        ids.push((await section.locator('.messages li .id').allTextContents()).slice(0, 2));
      }
      // One message, one id, whichever tab shows it.
      expect(ids[1]).toEqual(ids[0]);
      expect(ids[0]).toEqual([expect.stringMatching(/^\d+-\d+$/), expect.stringMatching(/^\d+-\d+$/)]);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await tabA.screenshot({ path: new URL('sample-broadcast.png', SCREENSHOTS).pathname, fullPage: true });
    } finally {
      await publisher.close();
      await context.close();
    }
  }, 60_000);

  (available ? it : it.skip)('streams a channel over server-sent events (EventSource) to two tabs, each showing every message in order', async () => {
    const channel = `sse-${process.pid}-${Date.now()}`;
    const context = await browser.newContext();
    /** What the tabs asked of the channel's route: EventSource's requests are of resource type `eventsource`. */
    const asked: { type: string; contentType: string | undefined }[] = [];
    context.on('response', (response) => {
      if (new URL(response.url()).pathname === `/channels/${channel}`) {
        asked.push({ type: response.request().resourceType(), contentType: response.headers()['content-type'] });
      }
    });
    const { publisher, channels } = await channelPublisher();
    try {
      const { tabs, sections } = await subscribedTabs(
        context,
        `${sample.url}?channel=${channel}&transport=sse`,
        `Subscribed to “${channel}” (transport: sse)`,
        (ping) => channels.publish(channel, ping),
      );

      const published = ['first', 'second', 'third', 'fourth', 'fifth'].map((word) => `${word} over SSE`);
      for (const message of published) {
        await channels.publish(channel, message);
      }
      await shownIn(sections, published.at(-1)!);
      for (const section of sections) {
        // Newest first, and before them only the pings that made sure the tab was subscribed.
        const shown = await section.locator('.messages li').allTextContents();
        expect(shown).toEqual([
          ...[...published].reverse().map((message) => expect.stringContaining(message)),
          ...shown.slice(published.length).map(() => expect.stringContaining('ping')),
        ]);
      }
      // Every request for the channel was an EventSource's, answered with a stream: no poll.
      expect(asked.length).toBeGreaterThanOrEqual(2);
      expect(asked).toEqual(asked.map(() => ({ type: 'eventsource', contentType: expect.stringMatching(/^text\/event-stream/) })));
      mkdirSync(SCREENSHOTS, { recursive: true });
      await tabs[0].screenshot({ path: new URL('sample-sse.png', SCREENSHOTS).pathname, fullPage: true });
    } finally {
      await publisher.close();
      await context.close();
    }
  }, 60_000);

  (available ? it : it.skip)('shares one poll per registration between three tabs, and another takes over from the leader', async () => {
    const run = `share-${process.pid}-${Date.now()}`;
    const [q1, q2, q3, c1, c2] = ['q1', 'q2', 'q3', 'c1', 'c2'].map((name) => `${run}-${name}`);
    const publisher = await Test.createTestingModule({
      imports: [
        PistachioModule.forRoot({ name: 'queues', namespace: 'sample', redis: redisUrl() }),
        PistachioModule.forRoot({ name: 'channels', namespace: 'sample-broadcast', mode: 'broadcast', redis: redisUrl() }),
      ],
    }).compile();
    await publisher.init();
    const queues = publisher.get<PistachioService>(getPistachioToken('queues'));
    const channels = publisher.get<PistachioService>(getPistachioToken('channels'));
    /** How many polls wait on each endpoint, across the sample and this test (a second behind at most). */
    const polls = async () => [
      ...(await Promise.all([q1, q2, q3].map((queue) => queues.presence(queue)))),
      ...(await Promise.all([c1, c2].map((channel) => channels.presence(channel)))),
    ];
    const context = await browser.newContext();
    const open = async (endpoints: string, channelList: string) => {
      const tab = await context.newPage();
      await tab.goto(`${sample.url}?endpoint=${endpoints}&channel=${channelList}&share`);
      return { tab, queue: tab.getByRole('region', { name: 'Queue' }), channel: tab.getByRole('region', { name: 'Broadcast channel' }) };
    };
    try {
      // The first tab leads: its poll waits before the others open.
      const first = await open(`${q1},${q2}`, c1);
      await until(async () => (await polls()).join() === '1,1,0,1,0', 10_000);
      const second = await open(q2, `${c1},${c2}`);
      const third = await open(q3, c2);
      // One poll for the union of the three tabs' endpoints: each waited on once, however many tabs want it.
      await until(async () => (await polls()).join() === '1,1,1,1,1', 10_000);
      await pingUntilShownIn([first.channel, second.channel], (ping) => channels.publish(c1, ping));
      await pingUntilShownIn([second.channel, third.channel], (ping) => channels.publish(c2, ping));

      await queues.publish(q2, 'to q2');
      await queues.publish(q3, 'to q3');
      await channels.publish(c2, 'to c2');
      await shownIn([first.queue, second.queue], 'to q2');
      await shownIn([third.queue], 'to q3');
      await shownIn([second.channel, third.channel], 'to c2');
      expect(await first.queue.locator('.messages li', { hasText: 'to q3' }).count()).toBe(0);
      expect(await first.channel.locator('.messages li', { hasText: 'to c2' }).count()).toBe(0);
      expect((await polls()).join()).toBe('1,1,1,1,1');

      // The leader goes: the next tab in line takes over, polling what the two tabs left want (q1 no more). A message
      // the old leader's poll took as it went would be lost at most once (README says so): publish once it is gone.
      await first.tab.close();
      await until(async () => (await polls()).join() === '0,1,1,1,1', 10_000);
      await queues.publish(q2, 'q2 after the leader');
      await channels.publish(c2, 'c2 after the leader');
      await shownIn([second.queue], 'q2 after the leader');
      await shownIn([second.channel, third.channel], 'c2 after the leader');
      expect(await second.queue.locator('.messages li', { hasText: 'to q2' }).count()).toBe(1);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await second.tab.screenshot({ path: new URL('sample-shared.png', SCREENSHOTS).pathname, fullPage: true });
    } finally {
      await context.close();
      await publisher.close();
    }
  }, 90_000);
});

/** A PistachioService of the sample's broadcast registration, on the same Redis: what the tests publish to its channels with. */
async function channelPublisher(): Promise<{ publisher: TestingModule; channels: PistachioService }> {
  const publisher = await Test.createTestingModule({
    imports: [PistachioModule.forRoot({ namespace: 'sample-broadcast', mode: 'broadcast', redis: redisUrl() })],
  }).compile();
  return { publisher, channels: publisher.get(PistachioService) };
}

/** Two tabs of `context` on the sample page at `url`, each once its channel section says `subscribed` and shows a ping. */
async function subscribedTabs(context: BrowserContext, url: string, subscribed: string, publish: (ping: string) => Promise<void>) {
  const tabs = [await context.newPage(), await context.newPage()];
  const sections = tabs.map((tab) => tab.getByRole('region', { name: 'Broadcast channel' }));
  await Promise.all(tabs.map((tab) => tab.goto(url)));
  await Promise.all(sections.map((section) => section.getByText(subscribed).waitFor()));
  await pingUntilShownIn(sections, publish);
  return { tabs, sections };
}

/** Waits until every section's list shows a message with `text`. */
async function shownIn(sections: Locator[], text: string, timeout?: number): Promise<void> {
  const shown = sections.map((section) => section.locator('.messages li', { hasText: text }).first());
  await Promise.all(shown.map((item) => item.waitFor({ timeout })));
}

/**
 * A tab's first poll, with no cursor yet, waits for what is published after it reached the server, which the page
 * cannot tell: ping until every tab has shown one. From then on each tab follows its cursor and can miss nothing.
 */
async function pingUntilShownIn(sections: Locator[], publish: (ping: string) => Promise<void>): Promise<void> {
  for (let ping = 1; ; ping++) {
    await publish(`ping ${ping}`);
    try {
      return await shownIn(sections, 'ping', 1_000);
    } catch (error) {
      if (!(error instanceof errors.TimeoutError) || ping === 10) {
        throw error;
      }
    }
  }
}
