/**
 * Table editing loads on demand (it is not in the document page's first
 * load): the Insert table button brings it, and then Tab moves between cells,
 * Tab in the last cell adds a row, and +row / +col / delete work. A second
 * person who opens the document with the table gets the table editing too.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { TestRelay } from '../support/relay.js';
import { typeAtEnd, waitForEditorReady } from '../support/browser.js';
import { useE2E } from '../support/e2e.js';
import { waitFor } from '../support/poll.js';

const e2e = useE2E();
let server: TestRelay;

beforeEach(async () => {
  server = await e2e.relay();
});

function scriptCount(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      performance
        .getEntriesByType('resource')
        .filter((entry) => (entry as PerformanceResourceTiming).initiatorType === 'script').length
  );
}

function tableShape(page: Page): Promise<number[]> {
  return page
    .locator('[data-testid="editor"] .ProseMirror table tr')
    .evaluateAll((rows) => rows.map((row) => row.querySelectorAll('td, th').length));
}

describe('tables', () => {
  it('load on demand and then edit as before', async () => {
    const { page } = await e2e.page({ userId: 'ana', name: 'Ana', color: '#1f6feb' });
    await page.goto(server.url + '/');
    await page.getByTestId('new-doc').click();
    await waitForEditorReady(page);
    await typeAtEnd(page, 'Costs');
    const before = await scriptCount(page);
    await page.getByRole('button', { name: 'Insert table' }).click();
    await waitFor(async () => (await tableShape(page)).length === 3, { message: 'a 3×3 table' });
    expect(await scriptCount(page)).toBeGreaterThan(before);
    expect(await tableShape(page)).toEqual([3, 3, 3]);

    // The caret is in the first header cell: type, Tab on, type.
    await page.keyboard.type('Item');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Cost');
    const header = await page
      .locator('[data-testid="editor"] .ProseMirror table tr')
      .first()
      .innerText();
    expect(header.replace(/\s+/g, ' ').trim()).toBe('Item Cost');

    // From the second cell, seven Tabs reach the ninth (last) cell; one more adds a row.
    for (let i = 0; i < 8; i++) await page.keyboard.press('Tab');
    await waitFor(async () => (await tableShape(page)).length === 4, { message: 'a fourth row' });

    await page.getByRole('button', { name: /\+col/ }).click();
    await waitFor(async () => (await tableShape(page)).every((n) => n === 4), {
      message: 'a fourth column'
    });
    await page.getByRole('button', { name: /\+row/ }).click();
    await waitFor(async () => (await tableShape(page)).length === 5, { message: 'a fifth row' });
    await page.getByRole('button', { name: 'Delete table' }).click();
    await waitFor(async () => (await tableShape(page)).length === 0, { message: 'table deleted' });
  });

  it('load when a document with a table is opened', async () => {
    const { page } = await e2e.page({ userId: 'ana', name: 'Ana', color: '#1f6feb' });
    await page.goto(server.url + '/');
    await page.getByTestId('new-doc').click();
    await waitForEditorReady(page);
    const path = new URL(page.url()).pathname;
    await page.getByRole('button', { name: 'Insert table' }).click();
    await waitFor(async () => (await tableShape(page)).length === 3, { message: 'a table' });
    await waitFor(
      async () => (await page.getByTestId('sync-status').getAttribute('data-synced')) === 'true',
      { message: 'the table on the relay' }
    );

    const { page: other } = await e2e.page({ userId: 'ravi', name: 'Ravi', color: '#bf3989' });
    await other.goto(server.url + path);
    await waitForEditorReady(other);
    await waitFor(async () => (await tableShape(other)).length === 3, { message: 'Ravi sees it' });
    // Table editing is there without pressing a table button: Tab moves on.
    await other.locator('[data-testid="editor"] .ProseMirror th').first().click();
    await other.keyboard.type('A');
    await other.keyboard.press('Tab');
    await other.keyboard.type('B');
    await waitFor(
      async () =>
        (
          await other.locator('[data-testid="editor"] .ProseMirror th').nth(1).innerText()
        ).trim() === 'B',
      { message: 'Tab went to the next cell' }
    );
  });
});
