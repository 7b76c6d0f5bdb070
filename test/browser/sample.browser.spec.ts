import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, Browser, errors, Locator } from 'playwright-core';
import { PistachioModule, PistachioService } from '../../lib/index.js';
import { redisUrl } from '../support/brokers.js';
import { SampleProcess, startSample } from '../support/sample-process.js';

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
    const tabs = [await context.newPage(), await context.newPage()];
    const sections = tabs.map((tab) => tab.getByRole('region', { name: 'Broadcast channel' }));
    const publisher = await Test.createTestingModule({
      imports: [PistachioModule.forRoot({ namespace: 'sample-broadcast', mode: 'broadcast', redis: redisUrl() })],
    }).compile();
    const channels = publisher.get(PistachioService);
    try {
      await Promise.all(tabs.map((tab) => tab.goto(`${sample.url}?channel=${channel}`)));
      await Promise.all(sections.map((section) => section.getByText(`Subscribed to “${channel}”`).waitFor()));
      await pingUntilShownIn(sections, (ping) => channels.publish(channel, ping));

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
});

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
