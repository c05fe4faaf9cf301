/**
 * The workspace as a person uses it: picking a name on first visit, the
 * document list (create, rename, delete with undo, restore from the trash)
 * seen live by a second person, and undo that only takes back your own edits.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TestRelay } from '../support/relay.js';
import { editorText, typeAtEnd, waitForEditorReady } from '../support/browser.js';
import { useE2E } from '../support/e2e.js';
import { waitFor } from '../support/poll.js';

const e2e = useE2E();
let server: TestRelay;

beforeEach(async () => {
  server = await e2e.relay();
});

async function rowTitles(page: Page): Promise<string[]> {
  return page.getByTestId('doc-link').allInnerTexts();
}

describe('workspace', () => {
  it('a newcomer joins with an invite link, gives a name once, and the device remembers it', async () => {
    const { path } = await server.access!.createInvite({
      role: 'editor',
      createdBy: 'test',
      uses: 1
    });
    const { page } = await e2e.page(null);
    // Without a credential the app says how to join instead of pretending to sync.
    await page.goto(server.url + '/');
    await expect(page.getByTestId('access-banner').getAttribute('data-status')).resolves.toBe(
      'none'
    );
    await page.goto(server.url + path);
    const name = page.getByTestId('join-name');
    await name.waitFor();
    // The invite left the address bar as soon as it was read.
    await waitFor(() => !page.url().includes('invite='), { message: 'invite out of the URL' });
    // An empty name is refused with an explanation, not silently accepted.
    await name.fill('   ');
    await page.getByTestId('join-submit').click();
    await expect(
      page.getByText('Type the name your teammates know you by.').isVisible()
    ).resolves.toBe(true);
    await name.fill('Lucía (São Paulo)');
    await page.keyboard.press('Enter');
    await page.getByTestId('identity-button').waitFor();
    await page.getByTestId('new-doc').waitFor();
    await page.reload();
    await page.getByTestId('identity-button').waitFor();
    await expect(page.getByTestId('identity-button').innerText()).resolves.toContain(
      'Lucía (São Paulo)'
    );
    await expect(page.getByTestId('identity-name').isVisible()).resolves.toBe(false);
    await expect(page.getByTestId('access-banner').count()).resolves.toBe(0);
  });

  it('lists, renames, deletes with undo and restores documents, live for everyone', async () => {
    const contextA = await e2e.context({
      userId: 'pm',
      name: 'Piotr',
      color: '#1f6feb'
    });
    const contextB = await e2e.context({
      userId: 'dir',
      name: 'Dana',
      color: '#1a7f37'
    });
    const a = await contextA.newPage();
    const b = await contextB.newPage();
    await a.goto(server.url + '/');
    await b.goto(server.url + '/');
    await a.getByTestId('empty-list').waitFor();

    // Create two documents of different kinds.
    await a.getByTestId('new-kind').selectOption('adr');
    await a.getByTestId('new-doc').click();
    await waitForEditorReady(a);
    // Typed key by key, as a person does: spaces between words must survive.
    await a.getByTestId('doc-title').click();
    await a.keyboard.type('ADR 7: SQLite as default store');
    await typeAtEnd(a, 'We keep documents in SQLite.');
    await a.goBack();
    await a.getByTestId('new-kind').selectOption('proposal');
    await a.getByTestId('new-doc').click();
    await waitForEditorReady(a);
    await a.getByTestId('doc-title').fill('Proposal: four-day review window');
    await a.goBack();

    // Newest first, with kind and author, on both screens.
    for (const page of [a, b]) {
      await waitFor(async () => (await rowTitles(page)).length === 2, { message: 'two rows' });
      await waitFor(
        async () =>
          JSON.stringify(await rowTitles(page)) ===
          JSON.stringify(['Proposal: four-day review window', 'ADR 7: SQLite as default store']),
        { message: 'newest first' }
      );
    }
    const listB = await b.getByTestId('doc-list').innerText();
    expect(listB).toContain('ADR');
    expect(listB).toContain('by Piotr');

    // Rename from the list (keyboard only).
    await a.getByRole('button', { name: 'Rename ADR 7: SQLite as default store' }).click();
    await a.getByTestId('rename-input').fill('ADR 7: SQLite stays the default');
    await a.keyboard.press('Enter');
    await waitFor(async () => (await rowTitles(b)).includes('ADR 7: SQLite stays the default'), {
      message: 'rename seen by Dana'
    });

    // Delete, then undo from the toast: nothing lost by one stray click.
    await a.getByRole('button', { name: 'Delete Proposal: four-day review window' }).click();
    await waitFor(async () => !(await rowTitles(b)).includes('Proposal: four-day review window'), {
      message: 'delete seen by Dana'
    });
    await a.getByTestId('toast').getByRole('button', { name: 'Undo' }).click();
    await waitFor(async () => (await rowTitles(b)).includes('Proposal: four-day review window'), {
      message: 'undo seen by Dana'
    });

    // Delete again and restore from the trash on the other device.
    await a.getByRole('button', { name: 'Delete Proposal: four-day review window' }).click();
    await b.getByTestId('trash-toggle').waitFor();
    await b.getByTestId('trash-toggle').click();
    await b.getByTestId('trash-row').getByRole('button', { name: 'Restore' }).click();
    await waitFor(async () => (await rowTitles(a)).includes('Proposal: four-day review window'), {
      message: 'restore seen by Piotr'
    });

    // The renamed title is also the document's own title.
    await a.getByText('ADR 7: SQLite stays the default').click();
    await waitForEditorReady(a);
    await waitFor(
      async () =>
        (await a.getByTestId('doc-title').inputValue()) === 'ADR 7: SQLite stays the default',
      {
        message: 'document title follows the rename'
      }
    );
  });

  it('undo takes back only your own edits', async () => {
    const contextA = await e2e.context({
      userId: 'u1',
      name: 'Uma',
      color: '#8250df'
    });
    const contextB = await e2e.context({
      userId: 'u2',
      name: 'Vik',
      color: '#bc4c00'
    });
    const a = await contextA.newPage();
    const b = await contextB.newPage();
    await a.goto(server.url + '/');
    await a.getByTestId('new-doc').click();
    await waitForEditorReady(a);
    const path = new URL(a.url()).pathname;
    await b.goto(server.url + path);
    await waitForEditorReady(b);

    await typeAtEnd(a, 'Uma wrote this.');
    await waitFor(async () => (await editorText(b)).includes('Uma wrote this.'), {
      message: 'b sees a'
    });
    await typeAtEnd(b, '');
    await b.keyboard.press('Enter');
    await b.keyboard.type('Vik wrote that.');
    await waitFor(async () => (await editorText(a)).includes('Vik wrote that.'), {
      message: 'a sees b'
    });

    // Uma undoes until nothing of hers is left; Vik's line stays.
    await a.locator('[data-testid="editor"] .ProseMirror').click();
    for (let i = 0; i < 5 && (await editorText(a)).includes('Uma'); i++) {
      await a.keyboard.press('Control+z');
    }
    await waitFor(async () => !(await editorText(b)).includes('Uma wrote this.'), {
      message: 'Uma’s text undone everywhere'
    });
    expect(await editorText(a)).toContain('Vik wrote that.');
    expect(await editorText(b)).toContain('Vik wrote that.');
  });
});
