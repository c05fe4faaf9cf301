import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { AppHandler } from '../../server/createServer.js';
import type { Role } from '../../src/lib/model/access.js';
import type { StoredAccess } from '../../src/lib/model/deviceAccess.js';
import { waitFor } from './poll.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The flags this machine needs: no sandbox as root, no calls home on a closed network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync'
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium not found at ${CHROMIUM_PATH}: install it with 'apt-get install -y chromium' ` +
        'or set CHROMIUM_PATH.'
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** The built SvelteKit app (npm run build), as a request handler. */
export async function loadBuiltApp(): Promise<AppHandler> {
  // DRIFTWRITE_BUILD_DIR: a copy of build/ to test against, so a rebuild
  // running beside the tests cannot delete chunks they still load.
  const dir = process.env.DRIFTWRITE_BUILD_DIR;
  const path = dir
    ? join(dir, 'handler.js')
    : fileURLToPath(new URL('../../build/handler.js', import.meta.url));
  if (!existsSync(path)) throw new Error('The app is not built: run `npm run build` first.');
  const { handler } = (await import(pathToFileURL(path).href)) as { handler: AppHandler };
  return handler;
}

export interface Person {
  userId: string;
  name: string;
  color: string;
  /** The person's IANA zone; the browser is set to it too (default: the machine's). */
  timeZone?: string;
  /** The role their invite gives (default: editor). */
  role?: Role;
}

/**
 * Page errors (uncaught exceptions in the page) of every page opened in the
 * contexts it watches, kept as they happen; `assertNone` fails a test on any.
 */
export class PageErrors {
  readonly messages: string[] = [];

  watch(context: BrowserContext): void {
    for (const page of context.pages()) this.watchPage(page);
    context.on('page', (page) => this.watchPage(page));
  }

  private watchPage(page: Page): void {
    page.on('pageerror', (error) => this.messages.push(`${page.url()}: ${error.message}`));
  }

  assertNone(): void {
    if (this.messages.length > 0) {
      throw new Error(`The page raised errors:\n${this.messages.join('\n')}`);
    }
  }
}

export interface ContextOptions {
  /** Collects the page errors of every page the context opens. */
  errors?: PageErrors;
  /** The credential this device holds, as redeeming an invite leaves it. */
  access?: StoredAccess;
}

/**
 * Every browser context the end-to-end tests use is made here, so what each
 * needs (an identity, later a credential) is added in one place. `null`: a
 * first visit, nobody picked yet.
 */
export async function newPersonContext(
  browser: Browser,
  person: Person | null,
  options: ContextOptions = {}
): Promise<BrowserContext> {
  const context = await browser.newContext(person?.timeZone ? { timezoneId: person.timeZone } : {});
  options.errors?.watch(context);
  keepOfflineAcrossNavigations(context);
  if (options.access) {
    await context.addInitScript((access) => {
      if (!location.protocol.startsWith('http')) return;
      if (!localStorage.getItem('driftwrite:access')) {
        localStorage.setItem('driftwrite:access', JSON.stringify(access));
      }
    }, options.access);
  }
  if (person) {
    await context.addInitScript((identity) => {
      // A new page starts at about:blank, which has no storage.
      if (!location.protocol.startsWith('http')) return;
      if (!localStorage.getItem('driftwrite:identity')) {
        localStorage.setItem('driftwrite:identity', JSON.stringify(identity));
      }
    }, person);
  }
  return context;
}

/**
 * Chromium 150 (Debian's, with playwright-core's `setOffline`): a document
 * loaded while the context is offline (the service worker serves it) reads
 * `navigator.onLine` as true and gets no 'offline' event, until the network
 * emulation changes again; on a device really offline it reads false. After
 * each navigation of an offline context the emulation is switched off and on
 * again, so the page sees what a person offline sees (one 'offline' event).
 */
function keepOfflineAcrossNavigations(context: BrowserContext): void {
  let offline = false;
  const apply = context.setOffline.bind(context);
  context.setOffline = async (value: boolean) => {
    offline = value;
    await apply(value);
  };
  context.on('page', (page) => {
    page.on('domcontentloaded', () => {
      if (!offline) return;
      void (async () => {
        await apply(false);
        // Someone may have gone online meanwhile.
        if (offline) await apply(true);
      })().catch(() => {
        // The context closed meanwhile.
      });
    });
  });
}

/** The document's text as the reader sees it, without other people's caret labels. */
export function editorText(page: Page): Promise<string> {
  return page.locator('[data-testid="editor"] .ProseMirror').evaluate((element) => {
    const clone = element.cloneNode(true) as HTMLElement;
    clone.querySelectorAll('.collaboration-carets__caret').forEach((caret) => caret.remove());
    return [...clone.children].map((block) => block.textContent ?? '').join('\n');
  });
}

export async function waitForEditorReady(page: Page, timeout = 20_000): Promise<void> {
  await page.locator('[data-testid="editor"][data-ready="true"]').waitFor({ timeout });
}

/** Waits until a service worker controls the page, so it can reload offline. */
export async function waitForServiceWorker(page: Page, timeout = 20_000): Promise<void> {
  await page.waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, {
    timeout,
    polling: 100
  });
}

/** Types at the very end of the document. */
export async function typeAtEnd(page: Page, text: string): Promise<void> {
  const editor = page.locator('[data-testid="editor"] .ProseMirror');
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(text);
}

/**
 * Waits until the per-session edit counters stored in IndexedDB for these
 * rooms add up to the pending count the page shows: a counter is written right
 * after each edit's own IndexedDB write, so by then the edits are on the
 * device, and a reload cannot cut off a write still in flight.
 */
export async function waitForSavedOnDevice(
  page: Page,
  rooms: string[],
  timeout = 10_000
): Promise<void> {
  await page.waitForFunction(
    async (names) => {
      const read = (name: string) =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open(name);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            const store = db.transaction('custom', 'readonly').objectStore('custom');
            const keys = store.getAllKeys();
            const values = store.getAll();
            store.transaction.oncomplete = () => {
              db.close();
              let pending = 0;
              keys.result.forEach((key, i) => {
                if (typeof key !== 'string' || !key.startsWith('pending:')) return;
                const record = JSON.parse(String(values.result[i])) as {
                  seq: number;
                  confirmed: number;
                };
                pending += record.seq - record.confirmed;
              });
              resolve(pending);
            };
          };
        });
      const stored = (await Promise.all(names.map(read))).reduce((a, b) => a + b, 0);
      const shown = Number(
        document.querySelector('[data-testid="sync-status"]')?.getAttribute('data-pending')
      );
      return stored === shown && shown > 0;
    },
    rooms.map((room) => `driftwrite:${room}`),
    { timeout, polling: 100 }
  );
}

/** Selects `text` inside the document body, as a mouse drag would. */
export async function selectInBody(page: Page, text: string): Promise<void> {
  await page.evaluate((wanted) => {
    const root = document.querySelector('[data-testid="editor"] .ProseMirror')!;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const at = node.textContent!.indexOf(wanted);
      if (at === -1) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + wanted.length);
      const selection = window.getSelection()!;
      selection.removeAllRanges();
      selection.addRange(range);
      return;
    }
    throw new Error(`"${wanted}" is not in the document`);
  }, text);
  await waitFor(async () => (await page.evaluate(() => String(window.getSelection()))) === text, {
    message: 'the passage selected'
  });
}
