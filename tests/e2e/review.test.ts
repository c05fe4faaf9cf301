/**
 * Review with asks in real Chromium: Ana (New York) comments on a passage
 * with an ask for Ravi (Bangalore); Ravi, cut off for real, finds it in My
 * queue, replies and reacts offline; Ana resolves meanwhile; after reconnecting
 * both see the same resolved thread on the same passage. Ana's part is done
 * with the keyboard alone. A comment holding markup shows it as text and runs
 * nothing.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestRelay } from '../support/relay.js';
import type { TcpProxy } from '../support/tcpProxy.js';
import { typeAtEnd, waitForEditorReady, waitForServiceWorker } from '../support/browser.js';
import { useE2E } from '../support/e2e.js';
import { waitFor } from '../support/poll.js';

const e2e = useE2E();
let server: TestRelay;
let proxyA: TcpProxy;
let proxyB: TcpProxy;
let contextB: BrowserContext;
let pageA: Page;
let pageB: Page;

const ana = { userId: 'ana', name: 'Ana', color: '#1f6feb', timeZone: 'America/New_York' };
const ravi = { userId: 'ravi', name: 'Ravi', color: '#bf3989', timeZone: 'Asia/Kolkata' };

beforeEach(async () => {
  server = await e2e.relay();
  proxyA = await e2e.proxy(server.port);
  proxyB = await e2e.proxy(server.port);
  ({ page: pageA } = await e2e.page(ana));
  ({ context: contextB, page: pageB } = await e2e.page(ravi));
});

function threadCard(page: Page) {
  return page.getByTestId('thread').first();
}

async function press(page: Page, key: string, times = 1) {
  for (let i = 0; i < times; i++) await page.keyboard.press(key);
}

/** Tabs forward until the focused element matches, failing after `limit` presses. */
async function tabTo(page: Page, selector: string, limit = 40) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`Tab never reached ${selector}`);
}

/**
 * Ravi opens the workspace once (which puts him in the member list), and Ana
 * writes "Relay budget" with "40k for the relay" selected. Returns its path.
 */
async function writeBudgetWithPassageSelected(): Promise<string> {
  await pageB.goto(proxyB.url + '/');
  await pageB.getByTestId('queue-link').waitFor();

  await pageA.goto(proxyA.url + '/');
  await pageA.getByTestId('new-doc').click();
  await pageA.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
  const documentPath = new URL(pageA.url()).pathname;
  await waitForEditorReady(pageA);
  await pageA.getByTestId('doc-title').fill('Relay budget');
  await typeAtEnd(pageA, 'We propose a budget of 40k for the relay.');
  // Let the relay confirm first: a remote echo re-renders the text, and a
  // selection made while that happens can land a character off.
  await waitFor(
    async () =>
      (await pageA.getByTestId('sync-status').getAttribute('data-pending')) === '0' &&
      (await pageA.getByTestId('sync-status').getAttribute('data-synced')) === 'true',
    { message: 'Ana’s text confirmed' }
  );
  // Select "40k for the relay" with the keyboard: from the end, back over the
  // full stop, then 17 characters.
  await press(pageA, 'ArrowLeft');
  await press(pageA, 'Shift+ArrowLeft', 17);
  await waitFor(
    async () => (await pageA.evaluate(() => String(window.getSelection()))) === '40k for the relay',
    { message: 'the passage selected' }
  );
  return documentPath;
}

/** The setup of the later tests: Ana's ask to Ravi on the passage, made with the mouse. */
async function anaAsksRavi(): Promise<string> {
  const documentPath = await writeBudgetWithPassageSelected();
  await pageA.keyboard.press('Control+Alt+m');
  const composer = pageA.getByTestId('new-thread');
  await composer.getByTestId('composer-text').fill('Can we afford this before the Q3 freeze?');
  await composer.getByTestId('ask-toggle').check();
  await composer.locator('[data-testid="ask-person"][data-name="Ravi"]').check();
  await composer.getByTestId('composer-send').click();
  await threadCard(pageA).getByTestId('ask').waitFor();
  return documentPath;
}

/** Ravi opens the document online, then is cut off and replies and reacts. */
async function raviAnswersOffline(documentPath: string): Promise<void> {
  await pageB.goto(proxyB.url + documentPath);
  await waitForEditorReady(pageB);
  await pageB.locator('.comment-anchor').first().waitFor();
  proxyB.sever();
  await contextB.setOffline(true);
  const card = threadCard(pageB);
  await card.getByTestId('reply').click();
  await card.getByTestId('composer-text').fill('Yes, if we drop the second region.');
  await card.getByTestId('composer-text').press('Control+Enter');
  await waitFor(async () => (await card.getByTestId('comment').count()) === 2, {
    message: 'Ravi’s reply shown'
  });
  await card.getByTestId('react').first().click();
  await card.getByTestId('react-👍').first().click();
  await card.getByTestId('reaction').first().waitFor();
}

describe('review with asks, offline, in real Chromium', () => {
  it('Ana asks Ravi about a passage with the keyboard alone', async () => {
    await writeBudgetWithPassageSelected();
    await pageA.keyboard.press('Control+Alt+m');
    const composer = pageA.getByTestId('new-thread');
    await composer.waitFor();
    await expect(composer.innerText()).resolves.toContain('“40k for the relay”');
    // The comment field has focus: type, then build the ask by keyboard.
    await pageA.keyboard.type('Can we afford this before the Q3 freeze?');
    await tabTo(pageA, '[data-testid="ask-toggle"]');
    await pageA.keyboard.press('Space');
    await waitFor(async () => (await pageA.getByTestId('ask-person').count()) > 0, {
      message: 'Ravi offered as someone to ask'
    });
    await tabTo(pageA, '[data-testid="ask-person"][data-name="Ravi"]');
    await pageA.keyboard.press('Space');
    await tabTo(pageA, '[data-testid="ask-preset"]');
    await pageA.keyboard.press('ArrowDown'); // 24 hours → 3 business days
    await expect(pageA.getByTestId('ask-preview').innerText()).resolves.toMatch(
      /your time, .* for Ravi/
    );
    await tabTo(pageA, '[data-testid="composer-send"]');
    await pageA.keyboard.press('Enter');

    const card = threadCard(pageA);
    await card.waitFor();
    await expect(card.getAttribute('data-status')).resolves.toBe('open');
    await expect(card.getByTestId('ask').innerText()).resolves.toMatch(/Asks Ravi/);
    await expect(card.getByTestId('countdown').innerText()).resolves.toMatch(/due in \d+ (h|d)/);
    // The passage is highlighted in the text.
    await expect(pageA.locator('.comment-anchor').first().innerText()).resolves.toBe(
      '40k for the relay'
    );
  });

  it('Ravi sees the ask in My queue, goes offline, and answers from there', async () => {
    const documentPath = await anaAsksRavi();
    await waitFor(async () => (await pageB.getByTestId('queue-count').innerText()) === '1', {
      message: 'Ravi’s queue count to show the ask'
    });
    await pageB.getByTestId('queue-link').click();
    await pageB.getByTestId('queue-entry').first().waitFor();
    await waitForServiceWorker(pageB);
    // Open the document once online so its body is on the device too.
    await pageB.goto(proxyB.url + documentPath);
    await waitForEditorReady(pageB);
    await pageB.locator('.comment-anchor').first().waitFor();

    // Cut Ravi off for real, then reload the queue with no network.
    proxyB.sever();
    await contextB.setOffline(true);
    await pageB.goto(proxyB.url + '/queue');
    const entry = pageB.getByTestId('queue-entry').first();
    await entry.waitFor();
    await expect(entry.innerText()).resolves.toContain('Ana asks: Can we afford this');
    await expect(entry.innerText()).resolves.toContain('Relay budget');

    // The entry opens the document at the passage with the thread focused.
    await entry.getByTestId('queue-open').click();
    await waitForEditorReady(pageB);
    const card = threadCard(pageB);
    await waitFor(
      async () =>
        await pageB.evaluate(
          () => document.activeElement?.getAttribute('data-testid') === 'thread'
        ),
      { message: 'the thread focused' }
    );
    await expect(pageB.locator('.comment-anchor-active').innerText()).resolves.toBe(
      '40k for the relay'
    );

    await card.getByTestId('reply').click();
    await card.getByTestId('composer-text').fill('Yes, if we drop the second region.');
    await card.getByTestId('composer-text').press('Control+Enter');
    await waitFor(async () => (await card.getByTestId('comment').count()) === 2, {
      message: 'Ravi’s reply shown'
    });
    await card.getByTestId('react').first().click();
    await card.getByTestId('react-👍').first().click();
    await card.getByTestId('reaction').first().waitFor();
    await expect(card.getAttribute('data-status')).resolves.toBe('answered');
  });

  it('Ana resolves meanwhile; after reconnecting both see the same resolved thread', async () => {
    await raviAnswersOffline(await anaAsksRavi());
    const cardA = threadCard(pageA);
    await cardA.getByTestId('resolve').focus();
    await pageA.keyboard.press('Enter');
    await waitFor(async () => (await cardA.getAttribute('data-status')) === 'resolved', {
      message: 'resolved on Ana’s side'
    });

    proxyB.restore();
    await contextB.setOffline(false);

    for (const page of [pageA, pageB]) {
      await page.getByTestId('filter-all').click();
      const card = threadCard(page);
      await waitFor(
        async () =>
          (await card.getAttribute('data-status')) === 'resolved' &&
          (await card.getByTestId('comment').count()) === 2 &&
          (await card.getByTestId('reaction').count()) === 1,
        { timeoutMs: 20_000, message: 'the same resolved thread with reply and reaction' }
      );
      await expect(card.getByTestId('thread-quote').innerText()).resolves.toContain(
        '40k for the relay'
      );
      await expect(card.innerText()).resolves.toContain('Yes, if we drop the second region.');
    }
    // The same passage on both: the highlight shows while the thread is focused.
    for (const page of [pageA, pageB]) {
      await threadCard(page).getByTestId('thread-quote').click();
      await waitFor(
        async () =>
          (await page.locator('.comment-anchor-active').allInnerTexts()).join('') ===
          '40k for the relay',
        { message: 'resolved thread’s passage shown on focus' }
      );
    }
    await waitFor(async () => (await pageB.getByTestId('queue-count').count()) === 0, {
      message: 'Ravi’s queue empty once resolved'
    });
  });

  it('shows markup and script in a comment as text and runs none of it', async () => {
    await writeBudgetWithPassageSelected();
    await pageB.goto(proxyB.url + new URL(pageA.url()).pathname);
    await waitForEditorReady(pageB);
    const hostile = '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>';
    await pageA.locator('[data-testid="editor"] .ProseMirror').click();
    await pageA.keyboard.press('Control+Home');
    await press(pageA, 'Shift+ArrowRight', 10);
    await pageA.keyboard.press('Control+Alt+m');
    await pageA.getByTestId('new-thread').getByTestId('composer-text').fill(hostile);
    await pageA.getByTestId('new-thread').getByTestId('composer-send').click();
    // All threads, whatever their state: a thread on the document's very first
    // words is listed as detached today (not what this test is about).
    for (const page of [pageA, pageB]) await page.getByTestId('filter-all').click();
    for (const page of [pageA, pageB]) {
      await waitFor(
        async () =>
          (await page.getByTestId('comment-text').allInnerTexts()).some((t) => t.includes(hostile)),
        { message: 'the markup shown as typed' }
      );
      expect(await page.evaluate(() => (window as { __pwned?: number }).__pwned)).toBeUndefined();
      expect(await page.locator('[data-testid="comment-text"] img').count()).toBe(0);
      expect(await page.locator('[data-testid="thread-panel"] script').count()).toBe(0);
    }
  });
});
