/**
 * `npm run bench`: figures for the relay and the app, printed as a table.
 * A benchmark, not a test: it only stops on a broken setup, never on a slow
 * figure.
 *
 * Environment (all optional): BENCH_PARTS=A,B,C,D; BENCH_DOCS, BENCH_WORDS_PER_DOC,
 * BENCH_IDLE_UNLOAD_MS (A); BENCH_OFFLINE_EDITS, BENCH_ROUNDS (B);
 * BENCH_PAGE_WORDS, BENCH_RELOADS (C); BENCH_BUILD=auto|always|never (C, D);
 * D, comment threads: BENCH_COMMENT_WORDS (50000), BENCH_COMMENT_THREADS (500),
 * BENCH_COMMENT_REPLIES (2000), BENCH_COMMENT_RELOADS (5), BENCH_KEYSTROKES
 * (200), BENCH_QUEUE_DOCS (200), BENCH_QUEUE_THREADS (3 per document),
 * BENCH_QUEUE_RELOADS (5).
 * E, relays side by side (not in the default set; BENCH_PARTS=E): BENCH_SCALE
 * (1; 0.1 for a quick run) and the BENCH_E_* variables listed in partE.ts.
 * F, client side with the automerge-paper trace document in Chromium (not in
 * the default set; BENCH_PARTS=F): BENCH_F_EDITS (the whole trace),
 * BENCH_F_RELOADS (10), BENCH_F_EDIT_RELOADS (100), BENCH_F_KEYS (1000),
 * BENCH_F_KEY_MS (60); see partF.ts.
 * G, the ownership check (in the default set): BENCH_G_WORDS (50000),
 * BENCH_G_KEYSTROKES (2000), BENCH_G_THREADS (500), BENCH_G_ROUNDS (3).
 * BENCH_RESULTS: where parts E and F write their markdown (a full run of
 * either writes bench/RESULTS.md).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, totalmem, platform, release } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runPartA } from './partA.js';
import { runPartB } from './partB.js';
import { runPartC } from './partC.js';
import { runPartD } from './partD.js';
import { runPartE } from './partE.js';
import { runPartF } from './partF.js';
import { runPartG } from './partG.js';
import { fmtBytes, fmtMs, ROOT, TRACES_DIR, type Row } from './util.js';

// Heap figures need explicit collections; re-run ourselves with the flag
// rather than report numbers polluted by garbage.
if (typeof globalThis.gc !== 'function') {
  const result = spawnSync(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url)],
    { stdio: 'inherit', cwd: ROOT }
  );
  process.exit(result.status ?? 1);
}

const parts: Record<string, { title: string; run: () => Promise<Row[]> }> = {
  A: { title: 'relay memory per idle loaded document', run: runPartA },
  B: { title: 'convergence after offline editing; full trace', run: runPartB },
  C: {
    title: 'page load of a 50,000-word document from IndexedDB',
    run: runPartC
  },
  D: {
    title: 'comment threads: open, typing and My queue offline',
    run: runPartD
  },
  E: {
    title: 'relays side by side: ours, y-websocket 2.1.0, Hocuspocus (issue 9)',
    run: runPartE
  },
  F: {
    title: 'client side: automerge-paper trace document in Chromium (issue 9, part 3)',
    run: runPartF
  },
  G: { title: 'what the ownership check costs (issue 14)', run: runPartG }
};

function versionOf(pkg: string): string {
  try {
    const require = createRequire(`${ROOT}/package.json`);
    return (require(`${pkg}/package.json`) as { version: string }).version;
  } catch {
    return '?';
  }
}

function printTable(rows: Row[]): void {
  const headers = ['Part', 'Measure', 'Value', 'Notes'];
  const cells = rows.map((r) => [r.part, r.measure, r.value, r.note ?? '']);
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  // Notes can be long; leave that column ragged instead of padding every row.
  const line = (c: string[]) =>
    c
      .map((cell, i) =>
        i === 2 ? cell.padStart(widths[i]) : i === 3 ? cell : cell.padEnd(widths[i])
      )
      .join(' │ ')
      .trimEnd();
  console.log(line(headers));
  console.log(widths.map((w, i) => '─'.repeat(i === 3 ? Math.min(w, 40) : w)).join('─┼─'));
  let previous = '';
  for (const c of cells) {
    if (previous && c[0] !== previous) console.log('');
    previous = c[0];
    console.log(line(c));
  }
}

async function main(): Promise<void> {
  const selected = (process.env.BENCH_PARTS ?? 'A,B,C,D,G')
    .split(',')
    .map((p) => p.trim().toUpperCase())
    .filter((p) => p in parts);
  const cpu = cpus();
  console.log('Driftwrite benchmark');
  console.log(`  date:     ${new Date().toISOString()}`);
  console.log(`  node:     ${process.version} (${platform()} ${release()})`);
  console.log(`  machine:  ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${fmtBytes(totalmem())} RAM`);
  console.log(
    `  packages: yjs ${versionOf('yjs')}, y-websocket ${versionOf('y-websocket')}, ` +
      `playwright-core ${versionOf('playwright-core')}`
  );
  console.log(`  traces:   ${TRACES_DIR}`);
  console.log('');

  const rows: Row[] = [];
  const started = performance.now();
  for (const key of selected) {
    const part = parts[key];
    process.stderr.write(`Part ${key}: ${part.title}\n`);
    const partStarted = performance.now();
    try {
      rows.push(...(await part.run()));
    } catch (error) {
      // One broken part should not hide the figures of the others.
      rows.push({
        part: key,
        measure: 'FAILED',
        value: '—',
        note: error instanceof Error ? error.message : String(error)
      });
    }
    process.stderr.write(`Part ${key} took ${fmtMs(performance.now() - partStarted)}\n`);
  }
  console.log('');
  printTable(rows);
  console.log('');
  console.log(`Total ${fmtMs(performance.now() - started)}.`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  }
);
