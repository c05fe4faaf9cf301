/**
 * The installed app on a flight, in real Chromium: the manifest and icons a
 * browser installs from; "keep available offline" downloading every
 * document a few at a time, and a document never opened here opening from a
 * cold start with no network (one the device does not hold says so at once);
 * a new version waiting for every tab's word, an old tab working offline
 * meanwhile, and edits made before the update kept; and every character
 * typed offline still there after the tab is closed at once.
 */
import { describe, expect, it } from 'vitest';
import { AxeBuilder } from '@axe-core/playwright';
import type { BrowserContext, Page, Request } from 'playwright-core';
import * as Y from 'yjs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { connectProvider, whenSynced, type TestRelay } from '../support/relay.js';
import {
  editorText,
  loadBuiltApp,
  typeAtEnd,
  waitForEditorReady,
  waitForServiceWorker
} from '../support/browser.js';
import { useE2E } from '../support/e2e.js';
import { joinAs } from '../support/access.js';
import { waitFor } from '../support/poll.js';
import { getBody, initMeta } from '../../src/lib/model/schema.js';
import { addEntry, touchEntry } from '../../src/lib/model/workspaceIndex.js';
import { createDocumentThread } from '../../src/lib/model/comments.js';
import { ICON_CACHE_CONTROL } from '../../server/staticCache.js';
import { OFFLINE_READY_MESSAGE } from '../../src/lib/state/appUpdates.svelte.js';

const e2e = useE2E();
const ana = { userId: 'ana', name: 'Ana', color: '#1f6feb' };

function status(page: Page) {
  return page.locator('[data-testid="sync-status"]');
}

/**
 * axe-core finds no serious or critical violation on the page as it is now,
 * and, at phone width, nothing is wider than the screen.
 */
async function audit(page: Page, state: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .options({ rules: { 'label-content-name-mismatch': { enabled: true } } })
    .analyze();
  const failing = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  expect(failing, `axe on ${state}`).toEqual([]);
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth
  }));
  expect(scrollWidth, `width of ${state}`).toBeLessThanOrEqual(innerWidth);
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect(bytes.subarray(1, 4).toString('latin1')).toBe('PNG');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/**
 * Ravi, on another device (a Node client with his own credential), writes
 * documents the way the app does: a list entry, a body and a comment thread.
 * His connections stay open until the test ends.
 */
async function asRavi(server: TestRelay) {
  const { credential } = await joinAs(server, 'editor', 'Ravi', { personId: 'ravi' });
  const open = async (room: string) => {
    const doc = new Y.Doc();
    const provider = connectProvider(server.wsUrl, room, doc, { token: credential });
    e2e.defer(() => {
      provider.destroy();
      doc.destroy();
    });
    await whenSynced(provider, `Ravi synced ${room}`);
    return { doc, provider };
  };
  const index = (await open('main.index')).doc;
  const author = { userId: 'ravi', name: 'Ravi' };
  const bodies = new Map<string, Y.Doc>();
  return {
    async create(id: string, title: string, text: string): Promise<void> {
      const now = Date.now();
      const { doc } = await open(`main.doc.${id}`);
      initMeta(doc, { title, kind: 'note', createdAt: now, createdBy: 'ravi' });
      const paragraph = new Y.XmlElement('paragraph');
      paragraph.insert(0, [new Y.XmlText(text)]);
      getBody(doc).insert(0, [paragraph]);
      bodies.set(id, doc);
      const comments = (await open(`main.comments.${id}`)).doc;
      createDocumentThread(comments, {
        threadId: `t-${id}`,
        commentId: `c-${id}`,
        purpose: 'review',
        title,
        author: 'ravi',
        text: `Comment on ${title}`,
        now
      });
      addEntry(index, { id, title, kind: 'note', author, now });
    },
    /**
     * Adds a sentence to a document's first paragraph and touches its entry,
     * as the app does; returns the entry's new "last edited".
     */
    edit(id: string, text: string): number {
      const doc = bodies.get(id);
      if (!doc) throw new Error(`Ravi did not write ${id}`);
      const paragraph = getBody(doc).get(0) as Y.XmlElement;
      const run = paragraph.get(0) as Y.XmlText;
      run.insert(run.length, text);
      const now = Date.now();
      touchEntry(index, id, author, now);
      return now;
    }
  };
}

describe('installing the app', () => {
  it('has a complete manifest, real icons with a cache lifetime, a description, and opens offline', async () => {
    const server = await e2e.relay();
    const { context, page } = await e2e.page(ana);
    await page.goto(server.url + '/');
    await page.getByTestId('new-doc').waitFor();

    const description = await page.locator('meta[name="description"]').getAttribute('content');
    expect(description?.length).toBeGreaterThan(40);
    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
    const manifestUrl = new URL(manifestHref ?? '', server.url).href;
    const manifest = (await (await fetch(manifestUrl)).json()) as {
      [key: string]: unknown;
      icons: { src: string; sizes: string; type: string; purpose?: string }[];
    };
    expect(manifest).toMatchObject({
      id: '/',
      name: 'Driftwrite',
      short_name: 'Driftwrite',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      theme_color: '#1f6feb',
      background_color: '#ffffff'
    });
    expect(String(manifest.description).length).toBeGreaterThan(20);
    const pngs = manifest.icons.filter((icon) => icon.type === 'image/png');
    for (const wanted of ['192x192', '512x512']) {
      expect(pngs.some((i) => i.sizes === wanted && (i.purpose ?? 'any').includes('any'))).toBe(
        true
      );
    }
    expect(pngs.some((i) => i.purpose?.includes('maskable'))).toBe(true);
    for (const icon of [...pngs, { src: '/icon.svg' }, { src: '/apple-touch-icon.png' }]) {
      const response = await fetch(new URL(icon.src, server.url));
      expect(response.status, icon.src).toBe(200);
      expect(response.headers.get('cache-control'), icon.src).toBe(ICON_CACHE_CONTROL);
      const bytes = Buffer.from(await response.arrayBuffer());
      if ('sizes' in icon) {
        const [width, height] = icon.sizes.split('x').map(Number);
        expect(pngSize(bytes), icon.src).toEqual({ width, height });
      }
    }
    // An icon that does not exist is not given a lifetime.
    const missing = await fetch(new URL('/icon-9999.png', server.url));
    expect(missing.headers.get('cache-control')).not.toBe(ICON_CACHE_CONTROL);

    // The service worker takes the page, and says so once.
    await waitForServiceWorker(page);
    await page.getByText(OFFLINE_READY_MESSAGE).waitFor({ timeout: 10_000 });
    await page.reload();
    await page.getByTestId('new-doc').waitFor();
    await waitForServiceWorker(page);
    await page.getByTestId('offline-summary').waitFor();
    expect(await page.getByText(OFFLINE_READY_MESSAGE).count()).toBe(0);

    // The start URL answers offline, from a new page.
    await context.setOffline(true);
    const offlinePage = await context.newPage();
    await offlinePage.goto(new URL(String(manifest.start_url), server.url).href);
    await offlinePage.getByRole('heading', { name: 'Documents' }).waitFor();
  });
});

describe('keeping the workspace available offline', () => {
  it('downloads every document a few at a time, keeps new ones coming, and opens one never opened here from a cold start', async () => {
    const server = await e2e.relay();
    const proxy = await e2e.proxy(server.port);
    const ravi = await asRavi(server);
    const ids = Array.from({ length: 10 }, (_, i) => `seeded-${i}`);
    for (const [i, id] of ids.entries()) {
      await ravi.create(id, `Seeded document ${i}`, `Body of seeded document ${i}.`);
    }
    // One document the relay refuses to send (a room closed for good), at first.
    const context = await e2e.context(ana);
    const refused = ids[3];
    let refuse = true;
    await context.routeWebSocket(
      (url) => url.pathname.endsWith(`/main.doc.${refused}`),
      (ws) => {
        if (refuse) ws.close({ code: 4404, reason: 'no such room (test)' });
        else ws.connectToServer();
      }
    );
    // Document bodies downloading at once, at most.
    let open = 0;
    let mostOpen = 0;
    context.on('page', (page) =>
      page.on('websocket', (ws) => {
        if (!ws.url().includes('/main.doc.')) return;
        mostOpen = Math.max(mostOpen, ++open);
        ws.on('close', () => open--);
      })
    );
    let page = await context.newPage();
    await page.goto(proxy.url + '/');
    await waitFor(async () => (await page.getByTestId('doc-row').count()) === 10, {
      message: 'the ten documents listed'
    });
    await waitForServiceWorker(page);

    await page.getByTestId('device-link').click();
    await page.getByRole('heading', { name: 'This device', exact: true }).waitFor();
    // The count as it moves: it only ever goes up.
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { seenReady: number[] }).seenReady = seen;
      new MutationObserver(() => {
        const count = document.querySelector('[data-testid="offline-count"]');
        const ready = Number(count?.getAttribute('data-ready'));
        if (count && seen.at(-1) !== ready) seen.push(ready);
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    const switchedAt = Date.now();
    await page.getByTestId('keep-offline').check();
    const count = page.getByTestId('offline-count');
    await waitFor(
      async () => (await count.innerText()).startsWith('9 of 10 documents ready, 1 failed'),
      {
        timeoutMs: 30_000,
        message: '9 of 10 ready, 1 failed'
      }
    );
    expect(await count.innerText()).toMatch(/^9 of 10 documents ready, 1 failed — retry/);
    expect(await page.getByTestId('offline-failed').innerText()).toContain(
      'Seeded document 3: no such room (test)'
    );
    expect(await page.getByTestId('offline-progress').getAttribute('value')).toBe('9');
    const seen = await page.evaluate(
      () => (window as unknown as { seenReady: number[] }).seenReady
    );
    expect(seen.at(-1)).toBe(9);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    console.log(
      `9 of 10 ready (1 refused) ${Date.now() - switchedAt} ms after the switch; ` +
        `at most ${mostOpen} document connections at once`
    );
    expect(mostOpen).toBeGreaterThan(1);
    expect(mostOpen).toBeLessThanOrEqual(4);

    // Retry once the room answers again.
    refuse = false;
    await page.getByTestId('offline-retry').click();
    await waitFor(async () => (await count.innerText()) === '10 of 10 documents ready', {
      message: 'all ten ready after the retry'
    });
    await page.getByTestId('held-count').filter({ hasText: '10 of 10' }).waitFor();

    // While the switch is on, what others create or change keeps arriving.
    await ravi.create('seeded-new', 'Written after the switch', 'Body of the late document.');
    const changedAt = ravi.edit(ids[5], ' Changed after the download.');
    await waitFor(async () => (await count.innerText()) === '11 of 11 documents ready', {
      message: 'the new document downloaded too'
    });
    await waitFor(
      async () =>
        (await page.evaluate((id) => localStorage.getItem(`driftwrite:held:${id}`), ids[5])) ===
        String(changedAt),
      { message: 'the changed document downloaded again' }
    );

    // The flight: cut for real, close every page, open a document never opened here.
    proxy.sever();
    await context.setOffline(true);
    await page.close();
    page = await context.newPage();
    for (const [id, text] of [
      [ids[7], 'Body of seeded document 7.'],
      ['seeded-new', 'Body of the late document.'],
      [ids[5], 'Changed after the download.']
    ]) {
      await page.goto(`${proxy.url}/d/${id}`);
      await waitForEditorReady(page);
      await waitFor(async () => (await editorText(page)).includes(text), {
        message: `${id} read from the device`
      });
      expect(await page.getByTestId('doc-not-on-device').count()).toBe(0);
    }
    // Its comments came along, and it takes an edit.
    await page.goto(`${proxy.url}/d/${ids[7]}`);
    await waitForEditorReady(page);
    await page.getByTestId('thread').filter({ hasText: 'Comment on Seeded document 7' }).waitFor();
    await typeAtEnd(page, ' Edited on the plane.');
    await waitFor(async () => Number(await status(page).getAttribute('data-pending')) > 0, {
      message: 'the edit counted'
    });

    // Landed: the edit reaches the relay.
    proxy.restore();
    await context.setOffline(false);
    await waitFor(async () => (await status(page).getAttribute('data-synced')) === 'true', {
      timeoutMs: 20_000,
      message: 'the plane edit confirmed'
    });
  });

  it('says at once that a document this device never downloaded is not here, instead of an empty page', async () => {
    const server = await e2e.relay();
    const ravi = await asRavi(server);
    await ravi.create('never-opened', 'Never opened here', 'Body that stayed on the relay.');
    const { context, page } = await e2e.page(ana);
    await page.goto(server.url + '/');
    await page.getByTestId('doc-row').first().waitFor();
    await waitForServiceWorker(page);

    await context.setOffline(true);
    const cold = await context.newPage();
    const started = Date.now();
    await cold.goto(`${server.url}/d/never-opened`);
    await cold.getByTestId('doc-not-on-device').waitFor({ timeout: 5_000 });
    const shownAfterMs = Date.now() - started;
    expect(await cold.getByTestId('doc-not-on-device').innerText()).toContain(
      'This document is not on this device yet.'
    );
    // No body to type into, and the title cannot be changed.
    expect(await cold.getByTestId('editor').count()).toBe(0);
    expect(await cold.getByTestId('doc-title').isDisabled()).toBe(true);
    await audit(cold, 'a document not on this device');
    console.log(`"not on this device" shown ${shownAfterMs} ms after navigating offline`);

    // Back online, the document arrives and the notice goes.
    await context.setOffline(false);
    await waitForEditorReady(cold);
    await waitFor(async () => (await editorText(cold)).includes('Body that stayed on the relay.'), {
      message: 'the document arrives once online'
    });
    expect(await cold.getByTestId('doc-not-on-device').count()).toBe(0);
  });
});

describe('what this device holds', () => {
  it('shows documents, size and persistence, and removes the local copy after naming unconfirmed edits', async () => {
    const server = await e2e.relay();
    const { context, page } = await e2e.page(ana);
    await page.goto(server.url + '/');
    await page.getByTestId('new-doc').click();
    await page.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
    const id = new URL(page.url()).pathname.split('/').pop() ?? '';
    await waitForEditorReady(page);
    await page.getByTestId('doc-title').fill('Notes kept only here');
    await waitFor(async () => (await status(page).getAttribute('data-synced')) === 'true', {
      message: 'the new document synced'
    });
    await waitForServiceWorker(page);
    await context.setOffline(true);
    await typeAtEnd(page, 'Not on the relay yet.');
    await waitFor(async () => Number(await status(page).getAttribute('data-pending')) > 0, {
      message: 'the edit pending'
    });

    await page.getByRole('link', { name: '← Documents' }).click();
    await page.getByTestId('device-link').click();
    await page.getByRole('heading', { name: 'This device', exact: true }).waitFor();
    await page.getByTestId('held-count').filter({ hasText: '1 of 1' }).waitFor();
    expect(await page.getByTestId('device-size').innerText()).toMatch(/^about \d/);
    expect(await page.getByTestId('persisted').innerText()).toMatch(/promised/);

    await audit(page, 'This device (1280 px)');
    await page.getByTestId('remove-local').click();
    const warning = page.getByTestId('remove-warning');
    await warning.waitFor();
    expect(await warning.innerText()).toContain('Notes kept only here (text)');
    await page.setViewportSize({ width: 390, height: 844 });
    await audit(page, 'This device, removing (390 px)');
    await page.getByTestId('remove-confirm').click();
    await page.waitForURL(server.url + '/');
    const names = await page.evaluate(async () =>
      (await indexedDB.databases()).map((db) => db.name ?? '')
    );
    expect(names.filter((name) => name.includes(`main.doc.${id}`))).toEqual([]);
    // Signed in still, with the same name: only the copy went.
    await page.getByTestId('identity-button').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('driftwrite:access'))).not.toBeNull();
  });
});

describe('updating safely', () => {
  it('waits for every tab before a new version takes over; an old tab keeps working offline; edits made before survive', async () => {
    /** The served service worker: the build's, or a "second version" of it. */
    let version = 1;
    const server = await e2e.relay({ appHandler: await secondVersionServer(() => version) });
    const context = await e2e.context(ana);
    const pageA = await context.newPage();
    await pageA.goto(server.url + '/');
    await pageA.getByTestId('new-doc').click();
    await pageA.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
    await waitForEditorReady(pageA);
    await waitForServiceWorker(pageA);
    const pageB = await context.newPage();
    await pageB.goto(server.url + '/');
    await pageB.getByTestId('new-doc').waitFor();
    await waitForServiceWorker(pageB);

    // Written offline, not yet on the relay, before the update.
    await context.setOffline(true);
    await typeAtEnd(pageA, 'Written before the update.');
    await waitFor(async () => Number(await status(pageA).getAttribute('data-pending')) > 0, {
      message: 'the edit pending'
    });
    await context.setOffline(false);
    await waitFor(async () => (await status(pageA).getAttribute('data-synced')) === 'true', {
      message: 'synced again'
    });
    await context.setOffline(true);
    await typeAtEnd(pageA, ' And this, still offline.');
    await context.setOffline(false);

    for (const page of [pageA, pageB]) {
      await page.evaluate(
        () => ((window as unknown as { beforeUpdate: boolean }).beforeUpdate = true)
      );
    }
    version = 2;
    await pageB.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.update());
    for (const page of [pageA, pageB]) {
      await page.getByTestId('update-prompt').waitFor({ timeout: 20_000 });
      expect(await page.getByTestId('update-prompt').innerText()).toContain(
        'A new version is ready — Reload when you like.'
      );
    }
    await audit(pageB, 'the update prompt');
    const waiting = (page: Page) =>
      page.evaluate(
        async () => (await navigator.serviceWorker.getRegistration())?.waiting !== null
      );
    expect(await waiting(pageA)).toBe(true);

    // A agrees; B has not: nothing activates, nobody reloads.
    await pageB.evaluate(() => {
      const counter = window as unknown as { controllerChanges: number };
      counter.controllerChanges = 0;
      navigator.serviceWorker.addEventListener(
        'controllerchange',
        () => counter.controllerChanges++
      );
    });
    await pageA.getByRole('button', { name: 'Reload' }).click();
    await pageA
      .getByTestId('update-prompt')
      .filter({ hasText: 'once your other Driftwrite tab (1 open) is reloaded or closed' })
      .waitFor();

    // B, left open offline, still loads what it has not loaded yet.
    const failed: string[] = [];
    const onFailed = (request: Request) => {
      if (new URL(request.url()).pathname.startsWith('/_app/')) failed.push(request.url());
    };
    pageB.on('requestfailed', onFailed);
    await context.setOffline(true);
    await pageB.getByTestId('queue-link').click();
    await pageB.getByRole('heading', { name: 'My queue' }).waitFor();
    await pageB.goBack();
    await pageB.getByTestId('device-link').click();
    await pageB.getByRole('heading', { name: 'This device', exact: true }).waitFor();
    expect(failed).toEqual([]);
    pageB.off('requestfailed', onFailed);
    // All that while, the new version kept waiting and nobody reloaded.
    expect(await waiting(pageA)).toBe(true);
    expect(
      await pageB.evaluate(
        () => (window as unknown as { controllerChanges: number }).controllerChanges
      )
    ).toBe(0);
    for (const page of [pageA, pageB]) {
      expect(
        await page.evaluate(() => (window as unknown as { beforeUpdate?: boolean }).beforeUpdate)
      ).toBe(true);
    }
    await context.setOffline(false);

    // B agrees too: the new version takes both tabs.
    await pageB.getByTestId('update-prompt').getByRole('button', { name: 'Reload' }).click();
    for (const page of [pageA, pageB]) {
      await page.waitForFunction(
        () => (window as unknown as { beforeUpdate?: boolean }).beforeUpdate === undefined,
        undefined,
        { timeout: 20_000, polling: 100 }
      );
    }
    await waitForEditorReady(pageA);
    expect(await waiting(pageA)).toBe(false);
    expect(await pageA.getByTestId('update-prompt').count()).toBe(0);
    const text = await editorText(pageA);
    expect(text).toContain('Written before the update.');
    expect(text).toContain('And this, still offline.');
    await waitFor(async () => (await status(pageA).getAttribute('data-synced')) === 'true', {
      timeoutMs: 20_000,
      message: 'the edits from before the update confirmed by the relay'
    });
  });
});

/**
 * The built app, whose service worker becomes a "second version" when
 * `version()` says 2, as a new build changes it: a new revision of the shell,
 * and the route chunks gone from its precache (renamed in a real build), so
 * that taking over would clean them away from under a tab still using them.
 */
async function secondVersionServer(version: () => number) {
  const built = await loadBuiltApp();
  const { readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { fileURLToPath } = await import('node:url');
  const dir =
    process.env.DRIFTWRITE_BUILD_DIR ?? fileURLToPath(new URL('../../build', import.meta.url));
  const original = readFileSync(join(dir, 'client', 'sw.js'), 'utf8');
  const second = original
    .replace(/\{url:"\/",revision:"[^"]*"\}/, '{url:"/",revision:"second-version"}')
    .replace(/\{url:"_app\/immutable\/nodes\/[^"]*",revision:"[^"]*"\},?/g, '');
  expect(second).toContain('revision:"second-version"');
  expect(second).not.toContain('_app/immutable/nodes/');
  return (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    if (version() === 2 && req.url?.split('?')[0] === '/sw.js') {
      res.writeHead(200, {
        'content-type': 'text/javascript; charset=utf-8',
        'cache-control': 'no-cache'
      });
      res.end(second);
      return;
    }
    built(req, res, next);
  };
}

describe('closing the tab', () => {
  it('keeps every character typed offline when the tab is closed at once (3 of 3)', async () => {
    const server = await e2e.relay();
    const context: BrowserContext = await e2e.context(ana);
    let page: Page = await context.newPage();
    await page.goto(server.url + '/');
    await page.getByTestId('new-doc').click();
    await page.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
    const path = new URL(page.url()).pathname;
    await waitForEditorReady(page);
    await waitForServiceWorker(page);
    await context.setOffline(true);
    let expected = '';
    for (let attempt = 1; attempt <= 3; attempt++) {
      const sentence = ` Attempt ${attempt}: the quick brown fox jumps over the lazy dog.`;
      await typeAtEnd(page, sentence);
      expected += sentence;
      // Closed the instant the last key is in: no wait for anything.
      await page.close({ runBeforeUnload: true });
      page = await context.newPage();
      await page.goto(server.url + path);
      await waitForEditorReady(page);
      expect((await editorText(page)).trim(), `attempt ${attempt}`).toBe(expected.trim());
      if (attempt === 1) {
        // One sentence is one change to the person, not 60 keystrokes.
        // The pill combines sessions that finish loading one after another
        // (the comments room opens once the body has loaded): wait for the
        // whole label, not a first glimpse of "unsynced".
        let label = '';
        await waitFor(
          async () =>
            (label = await status(page).innerText()).includes('Offline · 1 unsynced change'),
          { message: 'the unsynced change shown' }
        ).catch((error: Error) => {
          throw new Error(`${error.message}; the status said ${JSON.stringify(label)}`);
        });
      }
    }
  });
});
