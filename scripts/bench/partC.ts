/**
 * C. Page load to an editable 50,000-word document held in IndexedDB, in real
 * Chromium, against the app's contract:
 * - built with `npx vite build` into build/, served by server/main.ts (env
 *   PORT, HOST, DATA_DIR);
 * - a document lives at /d/<id>, relay room main.doc.<id>, listed in main.index;
 * - `[data-testid="editor"]` gets data-ready="true" once the document is
 *   loaded from IndexedDB and editable;
 * - identity is read from localStorage `driftwrite:identity`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { docRoom, indexRoom } from '../../src/lib/model/rooms.js';
import { addEntry } from '../../src/lib/model/workspaceIndex.js';
import { seedDocument, wsUrlOf } from './client.js';
import { countWords, takeParagraphs, writeDocument } from './content.js';
// The same Chromium and flags as the end-to-end tests.
import { CHROMIUM_ARGS, CHROMIUM_PATH as CHROMIUM } from '../../tests/support/browser.js';
import {
  ensureBuild,
  envInt,
  fmtBytes,
  fmtInt,
  fmtMs,
  median,
  benchAccess,
  progress,
  ROOT,
  type Row
} from './util.js';

const PART = 'C page load';
const IDENTITY = { userId: 'bench', name: 'Bench', color: '#3366cc' };
/** The last word of the seeded document, for diagnostics on a timeout. */
let currentMarker = '';
/** Errors the page reported, newest last, for diagnostics on a timeout. */
const pageProblems: string[] = [];

function skipped(reason: string): Row[] {
  return [{ part: PART, measure: 'skipped', value: '—', note: reason }];
}

export async function runPartC(): Promise<Row[]> {
  const words = envInt('BENCH_PAGE_WORDS', 50_000);
  const reloads = Math.max(1, envInt('BENCH_RELOADS', 3));

  if (!existsSync(CHROMIUM))
    return skipped(`${CHROMIUM} not found (Chromium is installed with apt)`);
  if (!existsSync(join(ROOT, 'src', 'routes', 'd'))) {
    return skipped('the web app is not there yet: no src/routes/d/ page');
  }
  const build = ensureBuild('C');
  if (!build.ok) return skipped(build.note);

  const dataDir = mkdtempSync(join(tmpdir(), 'driftwrite-bench-c-'));
  let server: ChildProcess | null = null;
  try {
    progress('C: starting the app server');
    const access = await benchAccess(dataDir, IDENTITY.userId);
    const started = await startAppServer(dataDir);
    server = started.child;
    const url = started.url;
    const wsUrl = wsUrlOf(url);

    // The document, seeded from Node through the relay like any other client.
    const id = `bench-c-${Date.now().toString(36)}`;
    const marker = `zzbenchend${Date.now().toString(36)}`;
    currentMarker = marker;
    const paragraphs = takeParagraphs(0, words);
    // The last word is a marker: seeing it in the DOM means the whole text is there.
    const last = paragraphs.length - 1;
    paragraphs[last] = paragraphs[last].replace(/\S+$/, marker);
    const title = `Bench ${fmtInt(words)} words`;
    progress(`C: seeding a ${fmtInt(countWords(paragraphs))}-word document`);
    // The relay admits members only: the seeding client holds the credential too.
    const { encodedBytes } = await seedDocument(
      wsUrl,
      docRoom('main', id),
      (doc) => writeDocument(doc, title, paragraphs),
      access.credential
    );
    await seedDocument(
      wsUrl,
      indexRoom('main'),
      (doc) =>
        addEntry(doc, {
          id,
          title,
          kind: 'note',
          author: { userId: IDENTITY.userId, name: IDENTITY.name },
          now: Date.now()
        }),
      access.credential
    );

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS
    });
    try {
      const context = await browser.newContext();
      await context.addInitScript((stored) => {
        if (location.protocol.startsWith('http')) {
          localStorage.setItem('driftwrite:access', JSON.stringify(stored));
        }
      }, access);
      await context.addInitScript(installProbe, { identity: IDENTITY, marker });
      const page = await context.newPage();
      watchPageProblems(page);
      const docUrl = `${url}/d/${id}`;

      progress('C: first visit (online) to fill IndexedDB');
      await page.goto(docUrl, { waitUntil: 'commit' });
      const first = await waitForFull(page);
      const idb = await waitForIndexedDbCopy(page, docRoom('main', id), encodedBytes);

      const online: Probe[] = [];
      for (let i = 0; i < reloads; i++) {
        progress(`C: reload ${i + 1}/${reloads} (relay reachable)`);
        await page.reload({ waitUntil: 'commit' });
        online.push(await waitForFull(page));
      }
      const domWords = await page.evaluate(() => {
        const el = document.querySelector('[data-testid="editor"]') as HTMLElement | null;
        return el ? el.innerText.split(/\s+/).filter(Boolean).length : 0;
      });

      // With the relay unreachable the text can only come from IndexedDB.
      await page.routeWebSocket(/\/sync\//, (ws) => ws.close());
      const offline: Probe[] = [];
      for (let i = 0; i < reloads; i++) {
        progress(`C: reload ${i + 1}/${reloads} (relay blocked)`);
        await page.reload({ waitUntil: 'commit' });
        offline.push(await waitForFull(page));
      }
      await context.close();

      const runs = (probes: Probe[]) => `runs: ${probes.map((p) => fmtMs(p.fullAt)).join(', ')}`;
      return [
        {
          part: PART,
          measure: 'document',
          value: `${fmtInt(words)} words`,
          note: `${fmtInt(paragraphs.length)} paragraphs, encoded ${fmtBytes(encodedBytes)}; ${build.note}`
        },
        {
          part: PART,
          measure: 'first visit: navigation → ready + full text',
          value: fmtMs(first.fullAt),
          note: 'from the relay, empty IndexedDB'
        },
        {
          part: PART,
          measure: 'IndexedDB copy',
          value: idb.value,
          note: idb.note
        },
        {
          part: PART,
          measure: `reload: navigation → ready + full text (median of ${reloads})`,
          value: fmtMs(median(online.map((p) => p.fullAt))),
          note: `${runs(online)}; data-ready alone ${fmtMs(median(online.map((p) => p.readyAt)))}`
        },
        {
          part: PART,
          measure: 'reload: DOMContentLoaded (median)',
          value: fmtMs(median(online.map((p) => p.domContentLoaded)))
        },
        {
          part: PART,
          measure: `reload, relay blocked (median of ${reloads})`,
          value: fmtMs(median(offline.map((p) => p.fullAt))),
          note: `${runs(offline)}; IndexedDB only`
        },
        {
          part: PART,
          measure: 'words in the editor DOM',
          value: fmtInt(domWords),
          note: domWords >= words ? 'complete' : `EXPECTED ${fmtInt(words)}`
        }
      ];
    } finally {
      await browser.close();
    }
  } finally {
    if (server) await stopProcess(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Page errors go into a timeout's message: a stuck load is otherwise mute. */
export function watchPageProblems(page: Page): void {
  page.on('pageerror', (error) => pageProblems.push(`pageerror: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') {
      pageProblems.push(`console.${message.type()}: ${message.text()}`);
    }
  });
}

export interface Probe {
  /** ms from navigation start to data-ready="true". */
  readyAt: number;
  /** ms from navigation start to data-ready with the marker (last word) in the DOM. */
  fullAt: number;
  domContentLoaded: number;
}

/**
 * Runs in the page before any of its scripts (every navigation): sets the
 * identity so no first-run prompt appears, and timestamps readiness from
 * inside the page, where performance.now() counts from navigation start.
 */
export function installProbe(args: { identity: typeof IDENTITY; marker: string }): void {
  localStorage.setItem('driftwrite:identity', JSON.stringify(args.identity));
  const state: { readyAt: number | null; fullAt: number | null } = {
    readyAt: null,
    fullAt: null
  };
  (window as unknown as { __bench: typeof state }).__bench = state;
  const observer = new MutationObserver(() => {
    const el = document.querySelector('[data-testid="editor"]');
    if (!el || el.getAttribute('data-ready') !== 'true') return;
    state.readyAt ??= performance.now();
    if ((el.textContent ?? '').includes(args.marker)) {
      state.fullAt = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ['data-ready']
  });
}

/**
 * tiptap's focus command focuses the view in a requestAnimationFrame: keys
 * typed before it would go to the page, not the editor.
 */
export async function waitForEditorFocus(page: Page): Promise<void> {
  await page.waitForFunction(
    () => document.activeElement?.matches('[data-testid="editor"] .ProseMirror') ?? false,
    undefined,
    { timeout: 10_000, polling: 'raf' }
  );
}

/** Waits for the probe's fullAt; `marker` is only named in a timeout's message. */
export async function waitForFull(page: Page, marker = currentMarker): Promise<Probe> {
  try {
    await page.waitForFunction(
      () => (window as unknown as { __bench?: { fullAt: number | null } }).__bench?.fullAt != null,
      undefined,
      { timeout: 60_000, polling: 50 }
    );
  } catch (error) {
    // Say what the page looked like, so a timeout points at the cause.
    const seen = await page
      .evaluate((marker: string) => {
        const el = document.querySelector('[data-testid="editor"]');
        const text = el?.textContent ?? '';
        return {
          url: location.href,
          editor: Boolean(el),
          dataReady: el?.getAttribute('data-ready') ?? null,
          chars: text.length,
          marker: text.includes(marker),
          body: (document.body?.innerText ?? '').slice(0, 200)
        };
      }, marker)
      .catch((e: unknown) => ({ evaluateFailed: String(e) }));
    throw new Error(
      `${(error as Error).message.split('\n')[0]}; page: ${JSON.stringify(seen)}; ` +
        `page problems: ${JSON.stringify(pageProblems.slice(-8))}`
    );
  }
  return page.evaluate(() => {
    const state = (window as unknown as { __bench: { readyAt: number; fullAt: number } }).__bench;
    const nav = performance.getEntriesByType('navigation')[0] as
      PerformanceNavigationTiming | undefined;
    return {
      readyAt: state.readyAt,
      fullAt: state.fullAt,
      domContentLoaded: nav?.domContentLoadedEventEnd ?? Number.NaN
    };
  });
}

/**
 * Waits until the page's IndexedDB holds about the whole document, so the
 * reloads really read it from there. The database name is the app's choice
 * (the contract does not fix it), so any database whose name contains the
 * room counts; y-indexeddb keeps updates in an `updates` store.
 */
export async function waitForIndexedDbCopy(
  page: Page,
  room: string,
  encodedBytes: number
): Promise<{ value: string; note: string }> {
  const measure = () =>
    page.evaluate(async (roomName: string) => {
      const names = (await indexedDB.databases())
        .map((d) => d.name ?? '')
        .filter((name) => name.includes(roomName));
      let bytes = 0;
      for (const name of names) {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const request = indexedDB.open(name);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
        if (db.objectStoreNames.contains('updates')) {
          const all = await new Promise<unknown[]>((resolve, reject) => {
            const request = db.transaction('updates', 'readonly').objectStore('updates').getAll();
            request.onsuccess = () => resolve(request.result);
            request.onerror = () => reject(request.error);
          });
          for (const value of all) if (value instanceof Uint8Array) bytes += value.byteLength;
        }
        db.close();
      }
      return { names, bytes };
    }, room);
  // page.evaluate is async, so this polls by hand rather than with waitFor.
  let last = { names: [] as string[], bytes: 0 };
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    last = await measure();
    if (last.bytes >= encodedBytes * 0.9) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  if (last.names.length === 0) {
    return {
      value: 'not found',
      note: `no IndexedDB database named after ${room}; reloads may read the relay`
    };
  }
  return {
    value: fmtBytes(last.bytes),
    note: `${last.names.join(', ')}${last.bytes >= encodedBytes * 0.9 ? '' : ' (smaller than the document!)'}`
  };
}

/**
 * server/main.ts in its own process, on a free port (PORT=0; the URL is read
 * from its "ready" log line). `node --import tsx` is what `npx tsx` runs,
 * minus the wrapper process, so stopping it is one signal to one pid.
 * `env` adds to the environment (e.g. DRIFTWRITE_BUILD_DIR for a copy of build/).
 */
export async function startAppServer(
  dataDir: string,
  env: Record<string, string> = {}
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      ...env
    },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`server did not start: ${output.slice(-500)}`)),
      60_000
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      for (const line of output.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line) as { message?: string; url?: string };
          if (entry.message === 'ready' && entry.url) {
            clearTimeout(timer);
            resolve(entry.url);
            return;
          }
        } catch {
          // a partial line; the next chunk completes it
        }
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}: ${output.slice(-500)}`));
    });
  });
  // Keep draining the pipes so a chatty server never blocks on a full pipe.
  child.stdout?.resume();
  child.stderr?.resume();
  return { child, url };
}

export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 10_000));
  if ((await Promise.race([exited, timeout])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}
