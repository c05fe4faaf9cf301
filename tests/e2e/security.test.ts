/**
 * Security headers in real Chromium: every page carries a Content-Security-
 * Policy that allows no inline script but SvelteKit's own bootstrap (by its
 * hash), may not be framed, sends no referrer and is never sniffed; static
 * files too. The app runs under it, online and from the service worker, with
 * no violation; markup in a document title runs nothing, and even markup
 * that reached the page as HTML would be refused.
 */
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestRelay } from '../support/relay.js';
import {
  loadBuiltApp,
  typeAtEnd,
  waitForEditorReady,
  waitForServiceWorker
} from '../support/browser.js';
import { useE2E } from '../support/e2e.js';
import { waitFor } from '../support/poll.js';
import { withSecurityHeaders } from '../../server/securityHeaders.js';

const e2e = useE2E();
let server: TestRelay;

const person = { userId: 'sam', name: 'Sam', color: '#1f6feb' };

beforeEach(async () => {
  // Static files get their headers from server/securityHeaders.ts around the
  // app's handler (pages get them from SvelteKit whether or not it is there).
  server = await e2e.relay({ appHandler: withSecurityHeaders(await loadBuiltApp()) });
});

/** CSP violations the page reports, from the console and from the DOM event. */
async function watchViolations(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  const watch = (page: Page) => {
    page.on('console', (message) => {
      if (message.text().includes('Refused to')) violations.push(message.text());
    });
    page.on('pageerror', (error) => {
      if (error.message.includes('Refused to')) violations.push(error.message);
    });
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => {
      console.error(`Refused to (event): ${event.effectiveDirective} ${event.blockedURI}`);
    });
  });
  return violations;
}

function directives(policy: string): Map<string, string[]> {
  return new Map(
    policy
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter(([name]) => name)
      .map(([name, ...values]) => [name, values])
  );
}

const pwned = (page: Page) => page.evaluate(() => (window as { __pwned?: number }).__pwned);

describe('security headers', () => {
  it('sends the headers with pages and static files, and hashes the one inline script', async () => {
    for (const path of ['/', '/d/x']) {
      const response = await fetch(server.url + path);
      expect(response.status, path).toBe(200);
      const html = await response.text();
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      const policy = directives(response.headers.get('content-security-policy') ?? '');
      expect(policy.get('frame-ancestors'), path).toEqual(["'none'"]);
      expect(policy.get('object-src'), path).toEqual(["'none'"]);
      expect(policy.get('connect-src'), path).toContain("'self'");
      // Scripts: this origin and the shell's bootstrap by its hash, nothing inline.
      const scripts = policy.get('script-src') ?? [];
      expect(scripts, path).not.toContain("'unsafe-inline'");
      expect(scripts, path).not.toContain("'unsafe-eval'");
      const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
      expect(inline.length, path).toBe(1);
      const hash = createHash('sha256').update(inline[0]).digest('base64');
      expect(scripts, path).toEqual(["'self'", `'sha256-${hash}'`]);
      // Not in a meta tag, where browsers ignore frame-ancestors.
      expect(html, path).not.toMatch(/http-equiv/i);
    }

    const shell = await (await fetch(server.url + '/')).text();
    const asset = /href="(\/_app\/immutable\/[^"]+\.css)"/.exec(shell)?.[1];
    expect(asset).toBeDefined();
    for (const path of ['/sw.js', '/favicon.svg', '/manifest.webmanifest', asset!]) {
      const response = await fetch(server.url + path);
      await response.arrayBuffer();
      expect(response.status, path).toBe(200);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(response.headers.get('content-security-policy'), path).toBe("frame-ancestors 'none'");
    }
  });

  it('runs with no violation, syncing on its own origin and from the service worker', async () => {
    const { context, page } = await e2e.page(person);
    const violations = await watchViolations(context);
    await page.goto(server.url + '/');
    await page.getByTestId('new-doc').click();
    await waitForEditorReady(page);
    await page.getByTestId('doc-title').fill('Under a strict policy');
    await typeAtEnd(page, 'Typed with no inline script allowed.');
    // The relay's websocket on this origin is allowed: the edits are confirmed.
    await waitFor(
      async () =>
        (await page.getByTestId('sync-status').getAttribute('data-pending')) === '0' &&
        (await page.getByTestId('sync-status').getAttribute('data-synced')) === 'true',
      { message: 'the edits confirmed by the relay' }
    );

    // Served by the service worker now, offline: the cached shell's policy
    // (kept with it) still matches its bootstrap.
    await waitForServiceWorker(page);
    await context.setOffline(true);
    await page.reload();
    await waitForEditorReady(page);
    await page.getByText('Typed with no inline script allowed.').waitFor();
    expect(violations).toEqual([]);

    // And the policy is in force on that page: an inline handler is refused.
    await page.evaluate(() =>
      document.body.insertAdjacentHTML(
        'beforeend',
        '<img src="/nothing-here.png" onerror="window.__pwned = 1">'
      )
    );
    await waitFor(() => violations.length > 0, { message: 'the inline handler refused' });
    expect(await pwned(page)).toBeUndefined();
  });

  it('runs no script put in a document title', async () => {
    const hostile =
      '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script><svg onload="window.__pwned=3">';
    const { context, page } = await e2e.page(person);
    const violations = await watchViolations(context);
    await page.goto(server.url + '/');
    await page.getByTestId('new-doc').click();
    await waitForEditorReady(page);
    const path = new URL(page.url()).pathname;
    await page.getByTestId('doc-title').fill(hostile);
    await page.goto(server.url + '/');
    await waitFor(
      async () => (await page.getByTestId('doc-link').allInnerTexts()).includes(hostile),
      { message: 'the title listed as typed' }
    );
    await page.goto(server.url + path);
    await waitForEditorReady(page);
    // The title was typed just before leaving: if it had not reached this
    // device's copy yet, it arrives from the relay after the editor is ready.
    await waitFor(async () => (await page.getByTestId('doc-title').inputValue()) === hostile, {
      message: 'the title shown as typed'
    });
    expect(await pwned(page)).toBeUndefined();
    expect(violations).toEqual([]);

    // Had the title reached the page as HTML, the policy refuses what it carries.
    await page.evaluate((html) => {
      document.body.insertAdjacentHTML('beforeend', html);
      const script = document.createElement('script');
      script.textContent = 'window.__pwned = 4';
      document.body.append(script);
    }, hostile);
    await waitFor(() => violations.length >= 2, { message: 'the injected scripts refused' });
    expect(await pwned(page)).toBeUndefined();
  });
});
