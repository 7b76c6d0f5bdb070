import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, Browser } from 'playwright-core';
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
    await page.goto(`${sample.url}?endpoint=${endpoint}`);
    await page.getByText(`Waiting for messages on “${endpoint}”`).waitFor();

    await page.getByLabel('Message').fill('Hello from the form');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.messages li', { hasText: 'Hello from the form' }).waitFor();

    const publisher = await Test.createTestingModule({
      imports: [PistachioModule.forRoot({ namespace: 'sample', redis: redisUrl() })],
    }).compile();
    await publisher.get(PistachioService).publish(endpoint, 'Hello from PistachioService');
    await publisher.close();
    await page.locator('.messages li', { hasText: 'Hello from PistachioService' }).waitFor();

    expect(await page.locator('.messages li').allTextContents()).toEqual([
      expect.stringContaining('Hello from PistachioService'),
      expect.stringContaining('Hello from the form'),
    ]);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: new URL('sample.png', SCREENSHOTS).pathname, fullPage: true });
  }, 60_000);
});
