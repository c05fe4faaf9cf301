/**
 * Two people on one document: live typing, then one goes offline for real
 * (proxy severed and the browser told it is offline), edits, reloads while
 * still offline (served by the service worker), edits again, reconnects, and
 * both end with the same merged text.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestRelay } from '../support/relay.js';
import type { TcpProxy } from '../support/tcpProxy.js';
import {
  editorText,
  typeAtEnd,
  waitForEditorReady,
  waitForSavedOnDevice,
  waitForServiceWorker
} from '../support/browser.js';
import { useE2E } from '../support/e2e.js';
import { waitFor } from '../support/poll.js';

const e2e = useE2E();
let server: TestRelay;
let proxyA: TcpProxy;
let proxyB: TcpProxy;
let contextA: BrowserContext;
let pageA: Page;
let pageB: Page;

beforeEach(async () => {
  server = await e2e.relay();
  // One proxy per person, so one of them can be cut off alone.
  proxyA = await e2e.proxy(server.port);
  proxyB = await e2e.proxy(server.port);
  ({ context: contextA, page: pageA } = await e2e.page({
    userId: 'ana',
    name: 'Ana',
    color: '#1f6feb'
  }));
  ({ page: pageB } = await e2e.page({
    userId: 'ravi',
    name: 'Ravi',
    color: '#bf3989'
  }));
});

function status(page: Page) {
  return page.locator('[data-testid="sync-status"]');
}

async function pendingEdits(page: Page): Promise<number> {
  return Number(await status(page).getAttribute('data-pending'));
}

/**
 * Ana creates "Offline search RFC" and writes in it, Ravi opens it and writes
 * too, and each sees the other's text. Returns the document's path.
 */
async function writeTogether(): Promise<string> {
  await pageA.goto(proxyA.url + '/');
  await pageA.getByTestId('new-doc').click();
  await pageA.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
  const documentPath = new URL(pageA.url()).pathname;
  await waitForEditorReady(pageA);
  await pageA.getByTestId('doc-title').fill('Offline search RFC');
  await typeAtEnd(pageA, 'Alpha from Ana.');

  await pageB.goto(proxyB.url + documentPath);
  await waitForEditorReady(pageB);
  await waitFor(async () => (await editorText(pageB)).includes('Alpha from Ana.'), {
    message: 'Ravi to see Ana’s text'
  });
  await typeAtEnd(pageB, ' Bravo from Ravi.');
  await waitFor(async () => (await editorText(pageA)).includes('Bravo from Ravi.'), {
    message: 'Ana to see Ravi’s text'
  });
  return documentPath;
}

/** writeTogether, then Ana confirmed by the relay and her app able to open offline. */
async function writeTogetherReadyForOffline(): Promise<string> {
  const documentPath = await writeTogether();
  await waitFor(async () => (await status(pageA).getAttribute('data-synced')) === 'true', {
    message: 'Ana synced'
  });
  await waitForServiceWorker(pageA);
  return documentPath;
}

describe('offline-first collaboration in real Chromium', () => {
  it('two people see each other type live, with named carets', async () => {
    await writeTogether();

    // Presence: each sees both names; the remote caret carries the name.
    await waitFor(async () => (await pageA.getByTestId('peer').count()) === 2, {
      message: 'two people listed'
    });
    await expect(pageA.getByTestId('peer-list').innerText()).resolves.toContain('Ravi');
    await waitFor(
      async () =>
        (await pageA.locator('.collaboration-carets__label').allInnerTexts()).includes('Ravi'),
      { message: 'Ravi’s named caret on Ana’s screen' }
    );
    // The title reaches the other person and the document list.
    await waitFor(
      async () => (await pageB.getByTestId('doc-title').inputValue()) === 'Offline search RFC',
      {
        message: 'title synced'
      }
    );
    await waitFor(async () => (await status(pageA).getAttribute('data-synced')) === 'true', {
      message: 'Ana synced'
    });
  });

  it('keeps working offline, across a reload, and merges on reconnect', async () => {
    const documentPath = await writeTogetherReadyForOffline();

    // Cut Ana off for real: the proxy drops her sockets, the browser goes offline.
    proxyA.sever();
    await contextA.setOffline(true);
    await waitFor(
      async () => (await status(pageA).getAttribute('data-connection')) === 'disconnected',
      {
        message: 'Ana’s status to show disconnected'
      }
    );
    await typeAtEnd(pageA, ' Charlie offline.');
    await waitFor(async () => (await pendingEdits(pageA)) > 0, {
      message: 'pending edits counted'
    });
    // The pill combines every open session (document, list, comment rooms):
    // wait for its label rather than read it once.
    await waitFor(async () => /Offline/.test(await status(pageA).innerText()), {
      message: 'the status to say Offline'
    });
    // The pill opens the full sentence for keyboard and touch users.
    await status(pageA).focus();
    await pageA.keyboard.press('Enter');
    await waitFor(
      async () =>
        (await pageA.getByTestId('sync-detail').innerText()).includes('saved on this device only'),
      { message: 'the sync detail to say where the edits are' }
    );
    await pageA.keyboard.press('Escape');
    await pageA.getByTestId('sync-detail').waitFor({ state: 'detached' });

    // Reload with no network: the service worker serves the app, IndexedDB the document.
    const docId = documentPath.split('/').pop() ?? '';
    await waitForSavedOnDevice(pageA, ['main.index', `main.doc.${docId}`]);
    await pageA.reload();
    await waitForEditorReady(pageA);
    expect(await editorText(pageA)).toContain('Charlie offline.');
    expect(await pendingEdits(pageA)).toBeGreaterThan(0);
    await typeAtEnd(pageA, ' Delta after reload.');

    // Meanwhile Ravi keeps writing online.
    await typeAtEnd(pageB, ' Echo from Ravi.');
    await waitFor(async () => (await pendingEdits(pageB)) === 0, { message: 'Ravi confirmed' });
    expect(await editorText(pageA)).not.toContain('Echo from Ravi.');

    // Back online: everything merges, nothing is lost, no dialog.
    proxyA.restore();
    await contextA.setOffline(false);
    const expected = [
      'Alpha from Ana.',
      'Bravo from Ravi.',
      'Charlie offline.',
      'Delta after reload.',
      'Echo from Ravi.'
    ];
    for (const page of [pageA, pageB]) {
      await waitFor(
        async () => {
          const text = await editorText(page);
          return expected.every((part) => text.includes(part));
        },
        { timeoutMs: 20_000, message: 'all edits merged on both sides' }
      );
    }
    await waitFor(async () => (await editorText(pageA)) === (await editorText(pageB)), {
      message: 'identical text on both sides'
    });
    await waitFor(async () => (await pendingEdits(pageA)) === 0, {
      timeoutMs: 20_000,
      message: 'Ana’s offline edits confirmed by the relay'
    });
    // No edits pending is not yet synced: every session (the list, the comment
    // rooms) must have had the relay's answer after reconnecting.
    await waitFor(async () => (await status(pageA).getAttribute('data-synced')) === 'true', {
      message: 'Ana synced after reconnecting'
    });
  });

  it('syncs offline edits of a document closed before the network came back', async () => {
    const documentPath = await writeTogetherReadyForOffline();
    proxyA.sever();
    await contextA.setOffline(true);
    await waitFor(
      async () => (await status(pageA).getAttribute('data-connection')) === 'disconnected',
      { message: 'Ana offline again' }
    );
    await typeAtEnd(pageA, ' Foxtrot, closed offline.');
    const docId = documentPath.split('/').pop() ?? '';
    await waitForSavedOnDevice(pageA, ['main.index', `main.doc.${docId}`]);

    // Leave the document, then even reload the list: the edits are still counted.
    await pageA.getByRole('link', { name: '← Documents' }).click();
    await pageA.getByTestId('doc-row').first().waitFor();
    await waitFor(async () => (await pendingEdits(pageA)) > 0, {
      message: 'unsynced edits of the closed document counted on the list'
    });
    await pageA.reload();
    await pageA.getByTestId('doc-row').first().waitFor();
    await waitFor(async () => (await pendingEdits(pageA)) > 0, {
      message: 'unsynced edits of the closed document counted after a reload'
    });
    // The list's other sessions (comment rooms) may still be opening after the reload.
    await waitFor(async () => /Offline/.test(await status(pageA).innerText()), {
      message: 'the status to say Offline after the reload'
    });

    // Back online, without reopening the document: Ravi gets the edits.
    proxyA.restore();
    await contextA.setOffline(false);
    await waitFor(async () => (await editorText(pageB)).includes('Foxtrot, closed offline.'), {
      timeoutMs: 20_000,
      message: 'the closed document’s offline edits to reach Ravi'
    });
    await waitFor(async () => (await pendingEdits(pageA)) === 0, {
      timeoutMs: 20_000,
      message: 'Ana’s status to show everything confirmed'
    });
  });

  it('opens the list offline and creates a document there that reaches the team later', async () => {
    await writeTogetherReadyForOffline();
    proxyA.sever();
    await contextA.setOffline(true);
    await pageA.goto(proxyA.url + '/');
    await pageA.getByTestId('doc-row').first().waitFor();
    await expect(pageA.getByTestId('doc-list').innerText()).resolves.toContain(
      'Offline search RFC'
    );
    await pageA.getByTestId('offline-banner').waitFor();

    // A document created on the plane reaches the team on landing.
    await pageA.getByTestId('new-kind').selectOption('handoff');
    await pageA.getByTestId('new-doc').click();
    await waitForEditorReady(pageA);
    await pageA.getByTestId('doc-title').fill('Hand-off written on a plane');
    await typeAtEnd(pageA, 'Next: review the relay PR first.');
    await pageB.goto(proxyB.url + '/');
    await pageB.getByTestId('doc-row').first().waitFor();
    expect(await pageB.getByTestId('doc-list').innerText()).not.toContain('written on a plane');

    proxyA.restore();
    await contextA.setOffline(false);
    await waitFor(
      async () =>
        (await pageB.getByTestId('doc-list').innerText()).includes('Hand-off written on a plane'),
      { timeoutMs: 20_000, message: 'the offline document to reach Ravi’s list' }
    );
    await pageB.getByText('Hand-off written on a plane').click();
    await waitForEditorReady(pageB);
    await waitFor(
      async () => (await editorText(pageB)).includes('Next: review the relay PR first.'),
      {
        message: 'the offline document’s text to reach Ravi'
      }
    );
  });
});
