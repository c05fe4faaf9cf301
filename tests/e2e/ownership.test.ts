/**
 * Ownership in real Chromium: an editor (Olga) and a commenter (Carl) on one
 * document. Each is offered Edit and Delete on their own comments only, as
 * writePolicy.ts's `mayChangeComment` reads the relay's table. And a device
 * holding a change the UI would never make (Carl's copy of the thread with
 * Olga's comment rewritten, as a tampered or old client could have stored it)
 * is refused by the relay once: nothing of it is stored or reaches Olga, the
 * app says it stopped syncing, and it does not reconnect to be refused again.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import * as Y from 'yjs';
import type { TestRelay } from '../support/relay.js';
import { docFromStore } from '../support/relay.js';
import { editorText, selectInBody, typeAtEnd, waitForEditorReady } from '../support/browser.js';
import { useE2E } from '../support/e2e.js';
import { waitFor } from '../support/poll.js';
import { getThreadsMap } from '../../src/lib/model/comments.js';

const e2e = useE2E();
let server: TestRelay;
let olgaPage: Page;
let carlContext: BrowserContext;
let carlPage: Page;

const olga = { userId: 'olga', name: 'Olga', color: '#1f6feb', role: 'editor' as const };
const carl = { userId: 'carl', name: 'Carl', color: '#bf3989', role: 'commenter' as const };

const OLGA_SAYS = 'Which time zone’s Thursday?';
const CARL_SAYS = 'UTC, as the release calendar says.';
const FORGED = 'Thursday is fine, ship it. (Carl wrote this in Olga’s name)';

beforeEach(async () => {
  server = await e2e.relay();
  ({ page: olgaPage } = await e2e.page(olga));
  ({ context: carlContext, page: carlPage } = await e2e.page(carl));
});

/** The "Edit" and "Delete" a comment offers, as ThreadCard renders them. */
function editButton(comment: Locator): Locator {
  return comment.getByRole('button', { name: 'Edit', exact: true });
}
function deleteButton(comment: Locator): Locator {
  return comment.getByTestId('delete-comment');
}

async function offersEditAndDelete(comment: Locator): Promise<[number, number]> {
  return [await editButton(comment).count(), await deleteButton(comment).count()];
}

/**
 * Olga writes a document and comments on "Thursday"; Carl opens it and reads
 * her comment. Returns the document's id.
 */
async function olgaCommentsAndCarlReads(): Promise<string> {
  await olgaPage.goto(server.url + '/');
  await olgaPage.getByTestId('new-doc').click();
  await olgaPage.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
  const documentPath = new URL(olgaPage.url()).pathname;
  await waitForEditorReady(olgaPage);
  await olgaPage.getByTestId('doc-title').fill('Launch plan');
  await typeAtEnd(olgaPage, 'We ship on Thursday after the freeze.');
  await waitFor(
    async () =>
      (await olgaPage.getByTestId('sync-status').getAttribute('data-pending')) === '0' &&
      (await olgaPage.getByTestId('sync-status').getAttribute('data-synced')) === 'true',
    { message: 'Olga’s text confirmed' }
  );
  // The editor still has focus from typing: select the passage, then the
  // shortcut an editor uses for Comment.
  await selectInBody(olgaPage, 'Thursday');
  await olgaPage.keyboard.press('Control+Alt+m');
  const composer = olgaPage.getByTestId('new-thread');
  await composer.getByTestId('composer-text').fill(OLGA_SAYS);
  await composer.getByTestId('composer-send').click();
  await olgaPage.getByTestId('thread').first().waitFor();

  await carlPage.goto(server.url + documentPath);
  await waitForEditorReady(carlPage);
  await waitFor(
    async () => (await carlPage.getByTestId('comment-text').allInnerTexts()).includes(OLGA_SAYS),
    { message: 'Carl reads Olga’s comment', timeoutMs: 20_000 }
  );
  return documentPath.split('/').at(-1)!;
}

describe('ownership of comments', () => {
  it('each person is offered Edit and Delete on their own comments only', async () => {
    await olgaCommentsAndCarlReads();

    // Carl, a commenter, may reply but not change Olga's comment.
    const carlCard = carlPage.getByTestId('thread').first();
    await expect(offersEditAndDelete(carlCard.getByTestId('comment').nth(0))).resolves.toEqual([
      0, 0
    ]);
    await carlCard.getByTestId('reply').click();
    await carlCard.getByTestId('composer-text').fill(CARL_SAYS);
    await carlCard.getByTestId('composer-text').press('Control+Enter');
    await waitFor(async () => (await carlCard.getByTestId('comment').count()) === 2, {
      message: 'Carl’s reply shown'
    });
    const carlComments = carlCard.getByTestId('comment');
    await expect(carlComments.nth(1).getByTestId('comment-text').innerText()).resolves.toBe(
      CARL_SAYS
    );
    await expect(offersEditAndDelete(carlComments.nth(0))).resolves.toEqual([0, 0]);
    await expect(offersEditAndDelete(carlComments.nth(1))).resolves.toEqual([1, 1]);

    // Olga, an editor, may change her comment but not Carl's reply.
    const olgaComments = olgaPage.getByTestId('thread').first().getByTestId('comment');
    await waitFor(
      async () =>
        (await olgaComments.count()) === 2 &&
        (await olgaComments.nth(1).getByTestId('comment-text').innerText()) === CARL_SAYS,
      { message: 'Olga sees Carl’s reply', timeoutMs: 20_000 }
    );
    await expect(offersEditAndDelete(olgaComments.nth(0))).resolves.toEqual([1, 1]);
    await expect(offersEditAndDelete(olgaComments.nth(1))).resolves.toEqual([0, 0]);
  });

  it('a forged edit stored on the device is refused once, not in a loop', async () => {
    const documentId = await olgaCommentsAndCarlReads();
    const room = `main.comments.${documentId}`;
    const refusals = () =>
      server.logs.filter(
        (entry) =>
          entry.message === 'closing connection' && entry.room === room && entry.code === 4403
      );
    expect(refusals()).toHaveLength(0);

    // What the relay holds, and the same with Olga's comment rewritten by
    // someone else: a write the UI never offers Carl.
    const stored = await docFromStore(server.store, room);
    const [threadId, thread] = [...getThreadsMap(stored).entries()][0];
    const forged = new Y.Doc();
    Y.applyUpdate(forged, Y.encodeStateAsUpdate(stored));
    // A client the room has never seen, as another device would be.
    expect(Y.decodeStateVector(Y.encodeStateVector(stored)).has(forged.clientID)).toBe(false);
    const olgasComment = (
      getThreadsMap(forged).get(threadId)!.get('comments') as Y.Array<Y.Map<unknown>>
    ).get(0);
    expect(olgasComment.get('author')).toBe('olga');
    expect(olgasComment.get('text')).toBe(OLGA_SAYS);
    olgasComment.set('text', FORGED);
    const update = Y.encodeStateAsUpdate(forged, Y.encodeStateVector(stored));
    expect(thread.get('createdBy')).toBe('olga');

    // Carl's app is closed; his device's copy of the thread gets the forged
    // change, appended to y-indexeddb's update log as the app would append
    // it. /healthz is on the app's origin but runs no app (the service worker
    // lets it through), so nothing else has the database open.
    await carlPage.close();
    const raw = await carlContext.newPage();
    await raw.route('**/favicon.ico', (route) => route.fulfill({ status: 204 }));
    await raw.goto(server.url + '/healthz');
    await raw.evaluate(
      async ({ name, bytes }) => {
        const db = await new Promise<IDBDatabase>((resolve, reject) => {
          const open = indexedDB.open(name);
          open.onerror = () => reject(open.error);
          open.onupgradeneeded = () => reject(new Error(`${name} did not exist on this device`));
          open.onsuccess = () => resolve(open.result);
        });
        await new Promise<void>((resolve, reject) => {
          const transaction = db.transaction('updates', 'readwrite');
          transaction.objectStore('updates').add(new Uint8Array(bytes));
          transaction.oncomplete = () => resolve();
          transaction.onerror = () => reject(transaction.error);
        });
        db.close();
      },
      { name: `driftwrite:${room}`, bytes: Array.from(update) }
    );
    await raw.close();

    // Carl opens the document again: every socket his page opens to the
    // thread's room, and everything it logs, is kept.
    const page = await carlContext.newPage();
    const logged: string[] = [];
    page.on('console', (message) => logged.push(`${message.type()}: ${message.text()}`));
    const sockets: string[] = [];
    page.on('websocket', (socket) => {
      if (new URL(socket.url()).pathname === `/sync/${room}`) sockets.push(socket.url());
    });
    await page.goto(server.url + `/d/${documentId}`);
    await waitForEditorReady(page);

    // The app shows that the relay stopped syncing, and why; a second socket
    // or refusal before that is a reconnect loop, and ends the wait at once.
    const status = page.getByTestId('sync-status');
    const outcome = await waitFor(
      async () => {
        if (refusals().length > 1 || sockets.length > 1) return 'connected again';
        return (await status.getAttribute('data-tone')) === 'error' ? 'told' : null;
      },
      { message: 'Carl told the relay stopped syncing', timeoutMs: 20_000 }
    );
    expect({ outcome, refusals: refusals().length, sockets: sockets.length }).toEqual({
      outcome: 'told',
      refusals: 1,
      sockets: 1
    });
    await expect(status.innerText()).resolves.toContain('Not syncing');
    await expect(status.getAttribute('title')).resolves.toMatch(
      /something another person wrote.*nobody else saw it/
    );
    expect(refusals()[0].reason).toMatch(/^ownership refused/);

    // Time for a reconnect (the first retry would come within 200 ms): Olga
    // edits the body and Carl's page, still connected to the body's room,
    // shows it; by then his page has had every chance to retry the thread's.
    await typeAtEnd(olgaPage, ' Freeze ends Wednesday.');
    await waitFor(async () => (await editorText(page)).includes('Freeze ends Wednesday.'), {
      message: 'Carl sees Olga’s later edit of the body',
      timeoutMs: 20_000
    });
    await waitFor(
      async () =>
        (await olgaPage.getByTestId('sync-status').getAttribute('data-pending')) === '0' &&
        (await olgaPage.getByTestId('sync-status').getAttribute('data-synced')) === 'true',
      { message: 'Olga’s edit confirmed' }
    );
    expect({ refusals: refusals().length, sockets: sockets.length }).toEqual({
      refusals: 1,
      sockets: 1
    });
    await expect(status.getAttribute('data-tone')).resolves.toBe('error');

    // Nothing of the forged change was stored or reached Olga.
    const after = await docFromStore(server.store, room);
    const storedComment = (
      getThreadsMap(after).get(threadId)!.get('comments') as Y.Array<Y.Map<unknown>>
    ).get(0);
    expect(storedComment.get('text')).toBe(OLGA_SAYS);
    expect(Y.decodeStateVector(Y.encodeStateVector(after)).has(forged.clientID)).toBe(false);
    const olgaTexts = await olgaPage.getByTestId('comment-text').allInnerTexts();
    expect(olgaTexts).toContain(OLGA_SAYS);
    expect(olgaTexts.join('\n')).not.toContain(FORGED);

    // The browser did not log the refusal over and over.
    const aboutRefusal = logged.filter((line) => /4403|refused|ownership|websocket/i.test(line));
    expect(aboutRefusal.length).toBeLessThanOrEqual(1);
  });
});
