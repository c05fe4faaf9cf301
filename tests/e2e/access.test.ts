/**
 * A team as it really starts: the owner opens the link `npm start` prints,
 * writes, and invites a commenter from the Share dialog; the commenter joins
 * by that link, cannot change the text, comments offline and is heard once
 * back online; the owner removes them, and their next connection is refused
 * while what they hold stays exportable.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import WebSocket from 'ws';
import type { TestRelay } from '../support/relay.js';
import { editorText, selectInBody, typeAtEnd, waitForEditorReady } from '../support/browser.js';
import { useE2E } from '../support/e2e.js';
import { waitFor } from '../support/poll.js';
import { docFromStore } from '../support/relay.js';
import { getThreadsMap } from '../../src/lib/model/comments.js';

const e2e = useE2E();
let server: TestRelay;

beforeEach(async () => {
  server = await e2e.relay();
});

async function join(page: Page, link: string, name: string): Promise<void> {
  await page.goto(link);
  await page.getByTestId('join-name').fill(name);
  await page.getByTestId('join-submit').click();
  await page.getByTestId('identity-button').waitFor();
}

describe('access', () => {
  it('owner invites a commenter who comments offline but cannot edit; removal refuses them', async () => {
    // The owner link, as npm start prints it.
    const ownerLink = server.url + (await server.access!.ownerLink())!;
    const { page: owner } = await e2e.page(null);
    await join(owner, ownerLink, 'Olga');
    await owner.getByTestId('new-doc').click();
    await owner.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
    const documentPath = new URL(owner.url()).pathname;
    const documentId = documentPath.split('/').at(-1)!;
    await waitForEditorReady(owner);
    await owner.getByTestId('doc-title').fill('Launch plan');
    await typeAtEnd(owner, 'We ship on Thursday after the freeze.');

    // Share: a commenter link, used once.
    await owner.getByTestId('share-button').click();
    const dialog = owner.getByTestId('share-dialog');
    await dialog.getByTestId('invite-role').selectOption('commenter');
    await dialog.getByTestId('invite-create').click();
    const link = dialog.getByTestId('invite-link');
    await waitFor(async () => /#invite=/.test(await link.inputValue()), { message: 'a link' });
    const inviteLink = await link.inputValue();
    await dialog.getByTestId('share-close').click();

    const { context, page: carl } = await e2e.page(null);
    await join(carl, inviteLink, 'Carl');
    await expect(carl.getByTestId('role-badge').getAttribute('data-role')).resolves.toBe(
      'commenter'
    );
    await carl.goto(server.url + documentPath);
    await waitForEditorReady(carl);
    await waitFor(async () => (await editorText(carl)).includes('We ship on Thursday'), {
      message: 'Carl reads the text'
    });
    await expect(carl.getByTestId('editor').getAttribute('data-editable')).resolves.toBe('false');
    // Typing does nothing to the text.
    await carl.locator('[data-testid="editor"] .ProseMirror').click();
    await carl.keyboard.type('Carl was here');
    expect(await editorText(carl)).not.toContain('Carl was here');

    // Offline, Carl comments on a passage.
    await context.setOffline(true);
    await selectInBody(carl, 'Thursday');
    await carl.getByTestId('comment-selection').click();
    const composer = carl.getByTestId('new-thread');
    await composer.getByTestId('composer-text').fill('Which time zone’s Thursday?');
    await composer.getByTestId('composer-send').click();
    await carl.locator('.comment-anchor').first().waitFor();
    await context.setOffline(false);

    await waitFor(
      async () =>
        (await owner.getByTestId('comment-text').allInnerTexts()).some((t) =>
          t.includes('Which time zone’s Thursday?')
        ),
      { message: 'Olga sees Carl’s comment', timeoutMs: 20_000 }
    );
    // Stored by the relay under Carl's person id; the text never changed.
    const comments = await docFromStore(server.store, `main.comments.${documentId}`);
    expect(getThreadsMap(comments).size).toBe(1);
    expect(await editorText(owner)).not.toContain('Carl was here');

    // Olga removes Carl: his open connection closes and he is told why.
    await owner.getByTestId('share-button').click();
    const row = owner.locator('[data-testid="member-row"][data-name="Carl"]');
    await row.getByTestId('member-remove').click();
    await owner.getByTestId('member-remove-confirm').click();
    const banner = carl.getByTestId('access-banner');
    await waitFor(async () => (await banner.getAttribute('data-status')) === 'revoked', {
      message: 'Carl told he was removed',
      timeoutMs: 20_000
    });
    await expect(banner.innerText()).resolves.toMatch(/removed/i);

    // His next connection, after a reload, is refused too.
    await carl.reload();
    await waitFor(
      async () =>
        (await carl.getByTestId('access-banner').getAttribute('data-status')) === 'revoked',
      { message: 'still refused after a reload', timeoutMs: 20_000 }
    );
    // The credential the device still holds is refused at the upgrade.
    const stored = JSON.parse(
      (await carl.evaluate(() => localStorage.getItem('driftwrite:access'))) ?? '{}'
    ) as { credential?: string };
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(
        `${server.wsUrl}/main.comments.${documentId}?token=${stored.credential}`
      );
      ws.on('open', () => resolve(101));
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => {});
    });
    expect(status).toBe(403);
  });
});
