/**
 * Benchmarks are not tests: no figure here is held to its target. But each
 * part of `npm run bench` (scripts/bench/index.ts, parts A–F) runs once at
 * tiny sizes, so a part that no longer runs (a renamed contract, a refused
 * connection, a page that never gets ready) fails the suite instead of
 * rotting until the next full run. In the e2e suite because parts C, D and F
 * drive Chromium against the built app (`npm run test:e2e` builds first;
 * BENCH_BUILD=never reuses that build).
 *
 * Passes when the bench exits 0, no part reports a FAILED or skipped row, and
 * every part prints its key figure with a number in it. bench/RESULTS.md is
 * left alone: parts E and F write their markdown to a temporary file.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, TRACES_DIR } from '../../scripts/bench/util.js';

/** Tiny sizes, by the variables each part documents (scripts/bench/index.ts, partE.ts, partF.ts). */
const TINY: Record<string, string> = {
  BENCH_PARTS: 'A,B,C,D,E,F,G',
  BENCH_BUILD: 'never',
  // A: relay memory per idle document
  BENCH_DOCS: '3',
  BENCH_WORDS_PER_DOC: '100',
  BENCH_IDLE_UNLOAD_MS: '500',
  // B: convergence after offline editing (its full-trace figure has no size knob: ~2 s)
  BENCH_OFFLINE_EDITS: '50',
  BENCH_ROUNDS: '1',
  // C: page load from IndexedDB
  BENCH_PAGE_WORDS: '300',
  BENCH_RELOADS: '1',
  // D: comment threads
  BENCH_COMMENT_WORDS: '300',
  BENCH_COMMENT_THREADS: '3',
  BENCH_COMMENT_REPLIES: '3',
  BENCH_COMMENT_RELOADS: '1',
  BENCH_KEYSTROKES: '5',
  BENCH_QUEUE_DOCS: '2',
  BENCH_QUEUE_THREADS: '1',
  BENCH_QUEUE_RELOADS: '1',
  // E: relays side by side
  BENCH_SCALE: '0.01',
  BENCH_E_ROUNDS: '1',
  BENCH_E_WINDOW_MS: '1000',
  BENCH_E_START_SAMPLES: '1',
  BENCH_E_CYCLES: '20',
  BENCH_E_IDLE_DOCS: '3',
  BENCH_E_IDLE_WORDS: '200',
  // F: the trace document in Chromium
  BENCH_F_EDITS: '2000',
  BENCH_F_RELOADS: '1',
  BENCH_F_EDIT_RELOADS: '2',
  BENCH_F_KEYS: '10',
  // G
  BENCH_G_WORDS: '300',
  BENCH_G_KEYSTROKES: '20',
  BENCH_G_THREADS: '3',
  BENCH_G_ROUNDS: '1'
};

/** One figure per part that must be printed with a number: the part's point. */
const KEY_FIGURES: [part: string, measure: RegExp][] = [
  ['A', /^heap per loaded idle document$/],
  ['B', /^reconnect → replicas equal$/],
  ['B', /^apply all edits to one Y\.Doc$/],
  ['C', /^reload, relay blocked/],
  ['D', /^reload → editable, without comments/],
  ['D', /^p99 with \/ without$/],
  ['D', /^offline: navigation → all \d+ entries/],
  ['E', /^fan-out p99, 1 room × 200$/],
  ['E', /^stored bytes after the trace/],
  ['F', /^from IndexedDB: navigation → editable/],
  ['F', /^IndexedDB after \d+ reloads with a small edit/],
  ['F', /^keystroke → paint, p50 \/ p99/],
  ['G', /^decision per keystroke/],
  ['G', /^typing burst: process CPU per keystroke$/]
];

interface TableRow {
  part: string;
  measure: string;
  value: string;
  note: string;
}

/** The final table's rows: "part │ measure │ value │ note". */
function tableRows(output: string): TableRow[] {
  return output
    .split('\n')
    .filter((line) => line.includes(' │ ') && !line.startsWith('Part '))
    .map((line) => {
      const [part = '', measure = '', value = '', ...note] = line.split(' │ ');
      return {
        part: part.trim(),
        measure: measure.trim(),
        value: value.trim(),
        note: note.join(' │ ').trim()
      };
    });
}

function runBench(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  // The caller's own BENCH_* settings must not change the sizes.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('BENCH_'))
  );
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', join(ROOT, 'scripts', 'bench', 'index.ts')],
    { cwd: ROOT, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'driftwrite-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench, every part at tiny sizes', () => {
  it('runs A–G without a failed or skipped part, each printing its figures', async () => {
    const results = join(dir, 'RESULTS.md');

    const started = performance.now();
    const { code, output } = await runBench({ ...TINY, BENCH_RESULTS: results });
    const seconds = (performance.now() - started) / 1000;
    const tail = output.slice(-6000);

    expect(code, `bench exited with ${code}:\n${tail}`).toBe(0);
    const rows = tableRows(output);
    // Without the traces beside the repository B skips its trace figures; nothing else may skip.
    const tracesMissing = !existsSync(TRACES_DIR);
    const broken = rows.filter(
      (row) =>
        row.measure === 'FAILED' ||
        row.value === 'FAILED' ||
        (row.measure === 'skipped' && !(tracesMissing && /no trace/.test(row.note)))
    );
    expect(broken, `failed or skipped parts:\n${tail}`).toEqual([]);
    for (const part of ['A', 'B', 'C', 'D', 'E', 'F', 'G']) {
      expect(
        rows.some((row) => row.part.startsWith(part)),
        `no row from part ${part}:\n${tail}`
      ).toBe(true);
    }
    for (const [part, measure] of KEY_FIGURES) {
      if (part === 'B' && tracesMissing) continue;
      const row = rows.find((r) => r.part.startsWith(part) && measure.test(r.measure));
      expect(row?.value, `part ${part}: no figure "${measure.source}":\n${tail}`).toMatch(/\d/);
    }

    // E and F wrote their blocks to the temporary file, not to bench/RESULTS.md (each says where).
    const written = readFileSync(results, 'utf8');
    expect(written).toContain('<!-- bench:E:begin');
    expect(written).toContain('<!-- bench:F:begin');
    for (const part of ['E', 'F']) {
      const row = rows.find((r) => r.part.startsWith(part) && r.measure === 'results');
      expect(row?.note, `part ${part} wrote its results elsewhere`).toBe(results);
    }
    console.log(`bench smoke run: ${seconds.toFixed(1)} s`);
  }, 300_000);
});
