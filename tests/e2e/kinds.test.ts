/**
 * Document kinds in real Chromium, three people in three zones: Ana (New
 * York), Ravi (Bangalore) and Mia (Warsaw). A decision record goes from
 * template to RICE-ranked options to review to a recorded outcome; an RFC
 * shows its missing sections and gets a 5-business-day window; ADRs are
 * numbered, exported as Markdown and imported back; PR/FAQ, retrospective,
 * weekly update and hand-off fields sync live between people.
 */
import { readFile } from 'node:fs/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import type { TestRelay } from '../support/relay.js';
import { editorText, waitForEditorReady, type Person } from '../support/browser.js';
import { useE2E } from '../support/e2e.js';
import { waitFor } from '../support/poll.js';
import { reviewWindowCloses } from '../../src/lib/model/kinds.js';
import { defaultWorkingTime } from '../../src/lib/model/people.js';
import { toLocalDateTimeValue } from '../../src/lib/model/replyBy.js';

const ana: Person = {
  userId: 'ana',
  name: 'Ana',
  color: '#1f6feb',
  timeZone: 'America/New_York'
};
const ravi: Person = { userId: 'ravi', name: 'Ravi', color: '#bf3989', timeZone: 'Asia/Kolkata' };
const mia: Person = { userId: 'mia', name: 'Mia', color: '#1a7f37', timeZone: 'Europe/Warsaw' };

const e2e = useE2E();
let server: TestRelay;
let pageAna: Page;
let pageRavi: Page;
let pageMia: Page;

beforeEach(async () => {
  server = await e2e.relay();
  const pages: Page[] = [];
  for (const person of [ana, ravi, mia]) pages.push((await e2e.page(person)).page);
  [pageAna, pageRavi, pageMia] = pages;
  // Each opens the workspace once, which puts them in the member list.
  await Promise.all(
    pages.map(async (page) => {
      await page.goto(server.url + '/');
      await page.getByTestId('queue-link').waitFor();
    })
  );
});

async function waitForValue(locator: Locator, value: string, message: string, timeoutMs = 10_000) {
  await waitFor(async () => (await locator.inputValue()) === value, { message, timeoutMs });
}

async function waitForText(
  locator: Locator,
  test: RegExp | string,
  message: string,
  timeoutMs = 10_000
) {
  await waitFor(
    async () => {
      if ((await locator.count()) === 0) return false;
      const text = await locator.first().innerText();
      return typeof test === 'string' ? text.includes(test) : test.test(text);
    },
    { message, timeoutMs }
  );
}

/** Creates a document of a kind from the list, titles it, and returns its path. */
async function createDocument(page: Page, kind: string, title: string): Promise<string> {
  await page.goto(server.url + '/');
  await page.getByTestId('new-kind').selectOption(kind);
  await page.getByTestId('new-doc').click();
  await page.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
  await waitForEditorReady(page);
  await page.getByTestId('doc-title').fill(title);
  return new URL(page.url()).pathname;
}

async function openDocument(page: Page, path: string) {
  await page.goto(server.url + path);
  await waitForEditorReady(page);
}

async function showFields(page: Page) {
  await page.getByTestId('tab-details').click();
  await page.getByTestId('fields-panel').waitFor();
}

/** The option (RICE) card holding the option whose title field has this id. */
function optionCard(page: Page, optionId: string): Locator {
  return page.getByTestId('option').filter({ has: page.locator(`[id="opt-${optionId}-title"]`) });
}

async function addOption(page: Page, title: string): Promise<string> {
  const before = await page.getByTestId('option').count();
  await page.getByTestId('new-option').fill(title);
  await page.getByTestId('new-option').press('Enter');
  await waitFor(async () => (await page.getByTestId('option').count()) === before + 1, {
    message: `option “${title}” added`
  });
  const ids = await page
    .locator('[data-testid="option"] input[id^="opt-"][id$="-title"]')
    .evaluateAll((inputs) =>
      (inputs as HTMLInputElement[]).map((input) => ({ id: input.id, value: input.value }))
    );
  const found = ids.find((input) => input.value === title);
  if (!found) throw new Error(`No option titled “${title}”`);
  return found.id.slice('opt-'.length, -'-title'.length);
}

async function setRice(
  card: Locator,
  rice: { reach: string; impact: string; confidence: string; effort: string }
) {
  await setNumber(card.getByTestId('rice-reach'), rice.reach);
  await card.getByTestId('rice-impact').selectOption(rice.impact);
  await card.getByTestId('rice-confidence').selectOption(rice.confidence);
  await setNumber(card.getByTestId('rice-effort'), rice.effort);
}

/** Types a number and leaves the field, as a person does: the value is taken on change. */
async function setNumber(input: Locator, value: string) {
  await input.fill(value);
  await input.press('Tab');
}

function rowTitles(page: Page): Promise<string[]> {
  return page.locator('[data-testid="doc-row"] [data-testid="doc-link"]').allInnerTexts();
}

function isoDay(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}

/** An RFC of large scope in review, with Mia asked to review it. Returns its path. */
async function rfcInReviewForMia(): Promise<string> {
  const path = await createDocument(pageAna, 'rfc', 'Relay sharding');
  await showFields(pageAna);
  await pageAna.getByTestId('field-scope').selectOption('large');
  await pageAna.getByTestId('move-review').click();
  const form = pageAna.getByTestId('review-form');
  await form.locator('[data-testid="reviewer"][data-name="Mia"]').check();
  await pageAna.getByTestId('review-open').click();
  await waitForText(pageAna.getByTestId('doc-status'), /^In review$/i, 'the RFC in review');
  return path;
}

describe('document kinds, three people in three zones', () => {
  it('takes a decision record from template to review to a recorded outcome', async () => {
    const title = 'Relay regions';
    const path = await createDocument(pageAna, 'proposal', title);

    // The template's sections are headings; the guidance is only a placeholder.
    await expect(
      pageAna.locator('[data-testid="editor"] .ProseMirror h2').allInnerTexts()
    ).resolves.toEqual(['Problem statement', 'Context', 'Options considered', 'Recommendation']);
    expect(await editorText(pageAna)).toBe(
      'Problem statement\n\nContext\n\nOptions considered\n\nRecommendation\n'
    );

    await pageAna.locator('#f-tldr').fill('One region or two for the relay? Approver: Ravi.');

    await showFields(pageAna);
    await pageAna.getByTestId('field-driver').selectOption('ana');
    await pageAna.getByTestId('field-approver').selectOption('ravi');
    await pageAna.getByTestId('field-contributors-add').selectOption('mia');
    await waitForText(
      pageAna.getByTestId('fields-panel').locator('.chip'),
      'Mia',
      'Mia listed as a contributor'
    );

    // Two options with RICE inputs: the app computes and ranks.
    const one = await addOption(pageAna, 'One region');
    await setRice(optionCard(pageAna, one), {
      reach: '1000',
      impact: '2',
      confidence: '80',
      effort: '2'
    });
    await waitForText(
      optionCard(pageAna, one).getByTestId('option-score'),
      /^RICE 800$/,
      'One region scored'
    );
    const two = await addOption(pageAna, 'Two regions');
    await expect(optionCard(pageAna, two).getByTestId('option-score').innerText()).resolves.toBe(
      'no score yet'
    );
    await setRice(optionCard(pageAna, two), {
      reach: '2000',
      impact: '3',
      confidence: '100',
      effort: '3'
    });
    await waitForText(
      optionCard(pageAna, two).getByTestId('option-score'),
      /^RICE 2000$/,
      'Two regions scored'
    );
    // The higher score ranks first and is listed first.
    await waitForText(pageAna.getByTestId('option').first(), 'RICE 2000', 'best option first');
    await expect(optionCard(pageAna, two).getByTestId('option-rank').innerText()).resolves.toBe(
      '#1'
    );
    await expect(optionCard(pageAna, one).getByTestId('option-rank').innerText()).resolves.toBe(
      '#2'
    );

    // An effort of 0 is refused with a message; the score stays as it was.
    await setNumber(optionCard(pageAna, one).getByTestId('rice-effort'), '0');
    await waitForText(
      optionCard(pageAna, one).getByRole('alert'),
      'Effort is in person-months and must be more than 0.',
      'the effort error'
    );
    await expect(optionCard(pageAna, one).getByTestId('option-score').innerText()).resolves.toBe(
      'RICE 800'
    );
    // The field goes back to the stored effort, so what it shows matches the score.
    expect(await optionCard(pageAna, one).getByTestId('rice-effort').inputValue()).not.toBe('0');
    await setNumber(optionCard(pageAna, one).getByTestId('rice-effort'), '2.5');
    await waitForText(
      optionCard(pageAna, one).getByTestId('option-score'),
      /^RICE 640$/,
      'the corrected effort scored'
    );
    expect(await optionCard(pageAna, one).getByRole('alert').count()).toBe(0);

    // The review asks the Approver and the Contributors by default.
    await pageAna.getByTestId('move-review').click();
    const form = pageAna.getByTestId('review-form');
    await form.waitFor();
    await expect(
      form.locator('[data-testid="reviewer"][data-name="Ravi"]').isChecked()
    ).resolves.toBe(true);
    await expect(
      form.locator('[data-testid="reviewer"][data-name="Mia"]').isChecked()
    ).resolves.toBe(true);
    await expect(form.locator('[data-testid="reviewer"]').count()).resolves.toBe(2);
    await pageAna.getByTestId('review-open').click();
    await waitForText(pageAna.getByTestId('doc-status'), /^In review$/i, 'Ana’s status in review');
    await waitForText(
      pageAna.getByTestId('review-window'),
      /^Review closes .+ your time.* · closes in \d+ (h|d)$/,
      'the review window shown'
    );
    // Ravi and Mia are elsewhere: the close is shown in their time too.
    const windowText = await pageAna.getByTestId('review-window').innerText();
    expect(windowText).toMatch(/, \w{3} \d{2}:\d{2} for Ravi\b/);
    expect(windowText).toMatch(/, \w{3} \d{2}:\d{2} for Mia\b/);

    // Ravi and Mia find the review ask in their queues.
    for (const page of [pageRavi, pageMia]) {
      await waitForText(page.getByTestId('queue-count'), /^1$/, 'the review ask counted');
      await page.getByTestId('queue-link').click();
      await waitForText(page.getByTestId('queue-entry'), `Review: ${title}`, 'the review ask');
      await expect(page.getByTestId('queue-entry').first().innerText()).resolves.toContain(
        'Ana asks: Please review this document'
      );
    }

    // Ana leaves the proposal (its last edit is recorded on the way out);
    // then Mia writes an unrelated note, so "last edited" no longer puts the
    // proposal first.
    await pageAna.goto(server.url + '/');
    await pageAna.getByTestId('new-doc').waitFor();
    await createDocument(pageMia, 'note', 'Lunch rota');

    // Ravi's list, filtered to proposals in review that name him.
    await pageRavi.goto(server.url + '/');
    await pageRavi.getByTestId('filter-kind').selectOption('proposal');
    await pageRavi.getByTestId('filter-status').selectOption('review');
    await pageRavi.getByTestId('filter-person').selectOption('ravi');
    await waitFor(async () => (await rowTitles(pageRavi)).join('|') === title, {
      message: 'only the proposal in review listed for Ravi'
    });
    await expect(pageRavi.getByTestId('doc-status-cell').first().innerText()).resolves.toMatch(
      /In review · closes in \d+ (h|d)/
    );
    await expect(pageRavi.getByTestId('doc-tldr').first().innerText()).resolves.toBe(
      'One region or two for the relay? Approver: Ravi.'
    );
    await pageRavi.getByTestId('filter-status').selectOption('draft');
    await pageRavi.getByTestId('no-matches').waitFor();
    // All documents: last edited first, then the review closing soonest.
    await pageRavi.getByTestId('filter-kind').selectOption('');
    await pageRavi.getByTestId('filter-status').selectOption('');
    await pageRavi.getByTestId('filter-person').selectOption('');
    await waitFor(async () => (await rowTitles(pageRavi))[0] === 'Lunch rota', {
      message: 'the note first by last edit'
    });
    await pageRavi.getByTestId('order').selectOption('closing');
    await waitFor(async () => (await rowTitles(pageRavi))[0] === title, {
      message: 'the proposal first by review closing'
    });

    // Ana records the decision; Ravi sees the outcome at the top.
    await openDocument(pageAna, path);
    await pageAna.getByTestId('move-decided').click();
    await pageAna.getByTestId('outcome-text').fill('Two regions, starting with Frankfurt.');
    await pageAna.getByTestId('decide-save').click();
    await waitForText(pageAna.getByTestId('doc-status'), /^Decided$/i, 'decided for Ana');

    await openDocument(pageRavi, path);
    await waitForText(
      pageRavi.getByTestId('doc-outcome'),
      'Two regions, starting with Frankfurt.',
      'the outcome shown to Ravi'
    );
    await expect(pageRavi.getByTestId('doc-outcome').innerText()).resolves.toMatch(/by Ana/);
    await expect(pageRavi.getByTestId('doc-status').innerText()).resolves.toMatch(/^Decided$/i);
    // The outcome sits above the body, next to the status.
    const [outcomeTop, editorTop] = await Promise.all([
      pageRavi.getByTestId('doc-outcome').boundingBox(),
      pageRavi.getByTestId('editor').boundingBox()
    ]);
    expect(outcomeTop!.y).toBeLessThan(editorTop!.y);
    // Deciding resolved the review, so nothing waits on Ravi any more.
    await waitFor(async () => (await pageRavi.getByTestId('queue-count').count()) === 0, {
      message: 'Ravi’s queue empty once decided'
    });
  });

  // Guidance is a decoration (data-guidance), never stored text.
  it('shows each template section’s guidance as a placeholder', async () => {
    const path = await createDocument(pageAna, 'proposal', 'Guidance check');
    const guidance = [
      'The decision to be made, in one paragraph.',
      'What a reader in another time zone needs to know first.',
      'Describe each option; list them with RICE inputs in the fields panel.',
      'Which option you recommend, and why.'
    ];
    const placeholders = (page: Page) =>
      page
        .locator('[data-testid="editor"] .ProseMirror h2 + p')
        .evaluateAll((ps) => ps.map((p) => p.getAttribute('data-guidance') ?? ''));
    for (const page of [pageAna, pageMia]) {
      if (page === pageMia) await openDocument(pageMia, path);
      let seen: string[] = [];
      await waitFor(
        async () => (seen = await placeholders(page)).join('|') === guidance.join('|'),
        { timeoutMs: 3_000, message: 'the guidance as placeholders' }
      ).catch((error: Error) => {
        throw new Error(`${error.message}; saw ${JSON.stringify(seen)}`);
      });
    }
  });

  it('shows an RFC’s missing sections and gives a large one 5 business days', async () => {
    await createDocument(pageAna, 'rfc', 'Relay sharding');
    await showFields(pageAna);
    await pageAna.getByTestId('field-scope').waitFor();
    expect(await pageAna.getByTestId('missing-sections').count()).toBe(0);

    // Renaming a required heading makes it missing; naming it back clears that.
    const heading = pageAna.locator('[data-testid="editor"] .ProseMirror h2', {
      hasText: 'Security implications'
    });
    await heading.click();
    await pageAna.keyboard.press('End');
    await pageAna.keyboard.press('Shift+Home');
    await pageAna.keyboard.type('Threat model');
    await waitForText(
      pageAna.getByTestId('missing-sections'),
      /^Sections still missing: Security implications$/,
      'the renamed section missing'
    );
    await pageAna.keyboard.press('Shift+Home');
    await pageAna.keyboard.type('Security implications');
    await waitFor(async () => (await pageAna.getByTestId('missing-sections').count()) === 0, {
      message: 'no sections missing again'
    });

    await pageAna.getByTestId('field-scope').selectOption('large');
    await pageAna.getByTestId('move-review').click();
    const form = pageAna.getByTestId('review-form');
    await form.waitFor();
    // Nobody is named in the RFC's Reviewers field, so nobody is ticked yet.
    expect(await form.locator('[data-testid="reviewer"]:checked').count()).toBe(0);
    const before = Date.now();
    await form.locator('[data-testid="reviewer"][data-name="Mia"]').check();
    const after = Date.now();
    // The proposed close: 5 of Ana's and Mia's business days, in Ana's time.
    const times = [defaultWorkingTime(ana.timeZone), defaultWorkingTime(mia.timeZone)];
    const expected = [before, after].map((now) =>
      toLocalDateTimeValue(reviewWindowCloses('rfc', { scope: 'large' }, now, times), ana.timeZone!)
    );
    await waitFor(
      async () => expected.includes(await pageAna.getByTestId('review-closes').inputValue()),
      { message: `the window proposed at ${expected.join(' or ')}` }
    );
    await pageAna.getByTestId('review-open').click();

    const window = pageAna.getByTestId('review-window');
    await waitForText(window, /closes in \d+ d$/, 'the RFC review window');
    const text = await window.innerText();
    expect(text).toMatch(/^Review closes (Mon|Tue|Wed|Thu|Fri)\b.* \d{2}:\d{2} your time/);
    const closesAt = Date.parse(
      (await window.locator('time').getAttribute('datetime')) ?? 'not a date'
    );
    // At least 5 calendar days away, and no more than a weekend and a day further.
    expect(closesAt - before).toBeGreaterThanOrEqual(5 * 86_400_000 - 60_000);
    expect(closesAt - before).toBeLessThanOrEqual(9 * 86_400_000);
    await waitForText(
      pageAna.getByTestId('doc-status'),
      /^In review$/i,
      'the RFC is in review for Ana'
    );
  });

  // The window shows the close in the time of everyone the review asked.
  it('shows the RFC’s window in the asked reviewer’s time too', async () => {
    const rfcPath = await rfcInReviewForMia();
    await openDocument(pageAna, rfcPath);
    await waitForText(pageAna.getByTestId('review-window'), /for Mia\b/, 'Mia’s time', 3_000);
  });

  it('numbers ADRs, exports one as Markdown and imports it back', async () => {
    const first = await createDocument(pageAna, 'adr', 'Store updates in SQLite');
    await pageAna.locator('#f-tldr').fill('SQLite on the relay, one file per workspace.');
    await createDocument(pageAna, 'adr', 'Adopt Yjs for sync');

    await pageAna.goto(server.url + '/');
    await pageAna.getByTestId('filter-kind').selectOption('adr');
    const kindOf = async (title: string) =>
      pageAna
        .getByTestId('doc-row')
        .filter({ has: pageAna.getByRole('link', { name: title, exact: true }) })
        .locator('td.kind')
        .innerText();
    await waitFor(
      async () =>
        (await kindOf('Store updates in SQLite')) === 'ADR · ADR-001' &&
        (await kindOf('Adopt Yjs for sync')) === 'ADR · ADR-002',
      { message: 'ADR-001 and ADR-002 in the list' }
    );

    // Accept the first one with an outcome.
    await openDocument(pageAna, first);
    await waitForText(pageAna.locator('.meta .kind'), /^ADR · ADR-001$/i, 'the ADR number');
    await pageAna.getByTestId('move-decided').click();
    await pageAna.getByTestId('outcome-text').fill('Accepted: SQLite with WAL.');
    await pageAna.getByTestId('decide-save').click();
    await waitForText(pageAna.getByTestId('doc-status'), /^Accepted$/i, 'the ADR accepted');

    const [download] = await Promise.all([
      pageAna.waitForEvent('download'),
      pageAna.getByTestId('export-md').click()
    ]);
    expect(download.suggestedFilename()).toBe('adr-001-store-updates-in-sqlite.md');
    const markdown = await readFile((await download.path())!, 'utf8');
    const front = /^---\n([\s\S]*?)\n---\n/.exec(markdown)?.[1] ?? '';
    expect(front).toMatch(/^kind: adr$/m);
    expect(front).toMatch(/^title: Store updates in SQLite$/m);
    expect(front).toMatch(/^status: decided$/m);
    expect(front).toMatch(/^adr: 1$/m);
    expect(front).toMatch(/^outcome: "?Accepted: SQLite with WAL\."?$/m);
    expect(front).toMatch(/^tldr: SQLite on the relay, one file per workspace\.$/m);
    expect(markdown).toContain('## Context');

    // Import it back under another name: a new document with the same content.
    await pageAna.goto(server.url + '/');
    await pageAna.getByTestId('doc-list').waitFor();
    const rowsBefore = await pageAna.getByTestId('doc-row').count();
    await pageAna.getByTestId('import-file').setInputFiles({
      name: 'copy-of-adr.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from(markdown)
    });
    await pageAna.waitForURL(/\/d\/[A-Za-z0-9_-]+$/);
    const imported = new URL(pageAna.url()).pathname;
    expect(imported).not.toBe(first);
    await waitForEditorReady(pageAna);
    await waitForValue(pageAna.getByTestId('doc-title'), 'Store updates in SQLite', 'title');
    await waitForText(pageAna.locator('.meta .kind'), /^ADR\b/i, 'the imported kind');
    await waitForValue(
      pageAna.locator('#f-tldr'),
      'SQLite on the relay, one file per workspace.',
      'the imported TL;DR'
    );
    await waitForText(pageAna.getByTestId('toast'), 'Imported “copy-of-adr.md”.', 'import toast');
    await waitForText(pageAna.getByTestId('doc-status'), /^Accepted$/i, 'the imported status');

    // A file of a kind the app does not know is refused and creates nothing.
    await pageAna.goto(server.url + '/');
    await pageAna.getByTestId('doc-list').waitFor();
    await waitFor(async () => (await pageAna.getByTestId('doc-row').count()) === rowsBefore + 1, {
      message: 'the imported document listed'
    });
    await pageAna.getByTestId('import-file').setInputFiles({
      name: 'memo.md',
      mimeType: 'text/markdown',
      buffer: Buffer.from(markdown.replace(/^kind: adr$/m, 'kind: memo'))
    });
    const toast = pageAna.locator('[data-testid="toast"][role="alert"]');
    await waitForText(toast, '“memo.md” was not imported', 'the refusal toast');
    await expect(toast.first().innerText()).resolves.toContain('“memo” is not a kind');
    expect(new URL(pageAna.url()).pathname).toBe('/');
    expect(await pageAna.getByTestId('doc-row').count()).toBe(rowsBefore + 1);
  });

  it('syncs a PR/FAQ’s press release and FAQ live', async () => {
    const path = await createDocument(pageAna, 'prfaq', 'Offline-first launch');
    await showFields(pageAna);
    await pageAna.locator('#f-headline').fill('Driftwrite works on the plane');

    await openDocument(pageRavi, path);
    await showFields(pageRavi);
    await waitForValue(
      pageRavi.locator('#f-headline'),
      'Driftwrite works on the plane',
      'Ravi sees Ana’s headline'
    );
    // Live while Ravi has it open.
    await pageAna
      .locator('#f-headline')
      .fill('Driftwrite works on the plane, and syncs on landing');
    await pageAna.getByTestId('new-faqExternal').fill('Does it need an account?');
    await pageAna.getByTestId('new-faqExternal').press('Enter');
    await waitForValue(
      pageRavi.locator('#f-headline'),
      'Driftwrite works on the plane, and syncs on landing',
      'Ravi sees the headline change live'
    );
    await waitFor(async () => (await pageRavi.getByTestId('faq-item').count()) === 1, {
      message: 'Ravi sees the FAQ question'
    });
    await expect(
      pageRavi.getByTestId('faq-item').locator('input').first().inputValue()
    ).resolves.toBe('Does it need an account?');
    // The line is emptied once the question is added; removed, it goes for everyone.
    await expect(pageAna.getByTestId('new-faqExternal').inputValue()).resolves.toBe('');
    await pageRavi.getByTestId('faq-item').getByRole('button', { name: 'Remove question' }).click();
    await waitFor(async () => (await pageAna.getByTestId('faq-item').count()) === 0, {
      message: 'Ana sees the question removed'
    });
  });

  it('collects retro entries per person and puts an action in its owner’s queue', async () => {
    const path = await createDocument(pageRavi, 'retro', 'Sprint 42 retro');
    await showFields(pageRavi);
    await pageRavi.getByTestId('field-team-add').selectOption('ravi');
    await pageRavi.getByTestId('field-team-add').selectOption('mia');
    await pageRavi.locator('#retro-wentWell').fill('Offline sync held up on the train.');

    await openDocument(pageMia, path);
    await showFields(pageMia);
    const entries = pageMia.getByTestId('retro-entries');
    await waitForText(
      entries.locator('.retro-entry'),
      /^Ravi\s+What went well: Offline sync held up on the train\.$/,
      'Ravi’s entry attributed to him'
    );
    // Ana is a member but not on this team.
    await waitForText(
      pageMia.getByTestId('retro-missing'),
      /^Not contributed yet: Mia$/,
      'only Mia still to write'
    );
    await pageMia.locator('#retro-change').fill('Smaller pull requests.');
    await waitForText(
      pageRavi.getByTestId('retro-missing'),
      'Everyone on the team has written their entry.',
      'everyone contributed, seen by Ravi'
    );

    // An action owned by Mia waits in her queue.
    await pageRavi.getByTestId('action-text').fill('Write the relay runbook');
    await pageRavi.getByTestId('action-owner').selectOption('mia');
    const due = isoDay(10);
    await pageRavi.getByTestId('action-due').fill(due);
    await pageRavi.getByTestId('action-text').press('Enter');
    await waitForText(
      pageMia.getByTestId('action'),
      `Write the relay runbook — Mia, due ${due}`,
      'the action synced to Mia'
    );
    await pageMia.getByTestId('tab-comments').click();
    await waitForText(
      pageMia.getByTestId('thread-panel'),
      'Action: Write the relay runbook',
      'the action thread in the comments tab'
    );
    await pageMia.getByTestId('queue-link').click();
    await waitForText(
      pageMia.getByTestId('queue-entry').filter({ hasText: 'Action: Write the relay runbook' }),
      `Ravi asks: Action for you, due ${due}`,
      'the action in Mia’s queue'
    );
  });

  it('shows a red weekly update and counts everyone’s reactions', async () => {
    const path = await createDocument(pageMia, 'weekly', 'Week 48');
    await showFields(pageMia);
    await pageMia.getByTestId('field-health').selectOption('red');

    await openDocument(pageAna, path);
    await showFields(pageAna);
    await waitForValue(pageAna.getByTestId('field-health'), 'red', 'Ana sees the red status');
    await pageMia.getByTestId('doc-react-👍').click();
    await pageAna.getByTestId('doc-react-👍').click();
    for (const page of [pageMia, pageAna]) {
      const button = page.getByTestId('doc-react-👍');
      await waitForText(button, /^👍 2$/, 'two thumbs up');
      await expect(button.getAttribute('aria-pressed')).resolves.toBe('true');
      await expect(button.getAttribute('title')).resolves.toMatch(/^(Mia, Ana|Ana, Mia)$/);
    }
  });

  it('shows a hand-off in both people’s local times', async () => {
    const path = await createDocument(pageAna, 'handoff', 'Relay on-call hand-off');
    await showFields(pageAna);
    await pageAna.getByTestId('field-handoffTo').selectOption('ravi');
    await pageAna.locator('#f-firstThing').fill('Check the Frankfurt relay’s disk.');
    const hint = pageAna.getByTestId('fields-panel').locator('.hint', { hasText: 'Now:' });
    await waitForText(hint, /for Ravi$/, 'both local times');
    const match = /^Now: \w{3} (\d{2}):(\d{2}) for you, \w{3} (\d{2}):(\d{2}) for Ravi$/.exec(
      await hint.innerText()
    );
    expect(match).not.toBeNull();
    const [, h1, m1, h2, m2] = match!.map(Number);
    // New York to Bangalore is 10 h 30 min ahead in November (9 h 30 min in summer).
    const ahead = (h2 * 60 + m2 - (h1 * 60 + m1) + 24 * 60) % (24 * 60);
    expect([570, 630]).toContain(ahead);

    await openDocument(pageRavi, path);
    await showFields(pageRavi);
    await waitForValue(pageRavi.getByTestId('field-handoffTo'), 'ravi', 'Ravi sees the hand-off');
    await waitForValue(
      pageRavi.locator('#f-firstThing'),
      'Check the Frankfurt relay’s disk.',
      'Ravi sees the first thing to do'
    );
  });
});
