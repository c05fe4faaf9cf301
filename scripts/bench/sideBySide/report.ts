/**
 * Part E's figures: rounds summarized into one value per relay, printed as a
 * table per scenario, and written as markdown into bench/RESULTS.md between
 * markers (what is outside them, the verdicts, is written by hand and kept).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fmtBytes, fmtInt, fmtMs } from '../util.js';
import { RELAYS, RELAY_KINDS, type RelayKind } from './relays.js';
import type { RunResult } from './scenarios.js';

export type Summary = Record<string, number | null>;

function percentile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Scalars: median over rounds; counts: summed (and per round); samples: pooled percentiles. */
export function summarize(runs: RunResult[]): Summary {
  const out: Summary = {};
  const keys = (pick: (r: RunResult) => Record<string, unknown>) => [
    ...new Set(runs.flatMap((r) => Object.keys(pick(r))))
  ];
  for (const key of keys((r) => r.scalars)) {
    out[key] = median(
      runs.map((r) => r.scalars[key]).filter((v): v is number => typeof v === 'number')
    );
  }
  for (const key of keys((r) => r.counts)) {
    const total = runs.reduce((sum, r) => sum + (r.counts[key] ?? 0), 0);
    out[key] = total;
    out[`${key}.perRound`] = total / runs.length;
  }
  for (const key of keys((r) => r.samples)) {
    const pooled = runs.flatMap((r) => r.samples[key] ?? []).sort((a, b) => a - b);
    out[`${key}.n`] = pooled.length;
    out[`${key}.p50`] = percentile(pooled, 0.5);
    out[`${key}.p99`] = percentile(pooled, 0.99);
    out[`${key}.max`] = pooled.length ? pooled[pooled.length - 1] : null;
    out[`${key}.median`] = median(pooled);
  }
  out.rounds = runs.length;
  return out;
}

type Format = 'ms' | 'bytes' | 'us' | 'x' | 'int' | 'perSecond' | 'share';

interface Figure {
  label: string;
  format: Format;
  get(s: Summary): number | null;
  /** A custom cell (e.g. delivered counts). */
  show?(s: Summary): string;
  /** False for figures that describe the workload rather than the relay. */
  ratio?: boolean;
}

const key =
  (name: string) =>
  (s: Summary): number | null =>
    s[name] ?? null;

const per =
  (a: string, b: string, factor = 1) =>
  (s: Summary) => {
    const x = s[a];
    const y = s[b];
    return x === null || x === undefined || !y ? null : (x * factor) / y;
  };

const delivered = (what: string): Figure => ({
  label: `delivered / expected (${what})`,
  format: 'x',
  ratio: false,
  get: per('delivered', 'expected'),
  show(s) {
    const d = s.delivered ?? 0;
    const e = s.expected ?? 0;
    const pct = e ? (100 * d) / e : 0;
    return `${pct === 100 ? '100' : pct.toFixed(2)}% (${fmtInt(d)}/${fmtInt(e)})`;
  }
});

const peak: Figure = { label: 'relay peak RSS (VmHWM)', format: 'bytes', get: key('peakRss') };

const latency = (sample: string, what: string): Figure[] => [
  { label: `${what} p50`, format: 'ms', get: key(`${sample}.p50`) },
  { label: `${what} p99`, format: 'ms', get: key(`${sample}.p99`) },
  { label: `${what} max`, format: 'ms', get: key(`${sample}.max`) }
];

const FIGURES: Record<string, Figure[]> = {
  fanout: [
    delivered('fan-out copies'),
    ...latency('latency', 'fan-out latency'),
    {
      label: 'relay CPU per delivered update',
      format: 'us',
      get: per('cpuMs', 'delivered', 1000)
    },
    { label: 'relay CPU per sent update', format: 'us', get: per('cpuMs', 'sent', 1000) },
    { label: 'relay CPU in the window, per round', format: 'ms', get: key('cpuMs.perRound') },
    {
      label: 'relay busy in the window (share of one core)',
      format: 'share',
      get: key('relayBusy')
    },
    {
      label: 'each client process busy (share of one core)',
      format: 'share',
      ratio: false,
      get: key('clientBusy')
    },
    {
      label: 'relay main thread waiting for a CPU (share of the window)',
      format: 'share',
      ratio: false,
      get: key('relayWaiting')
    },
    {
      label: 'client processes waiting for a CPU (share of the window)',
      format: 'share',
      ratio: false,
      get: key('clientWaiting')
    },
    peak,
    { label: 'connect + sync every client', format: 'ms', get: key('connectAllMs') },
    { label: 'updates sent, per round', format: 'int', ratio: false, get: key('sent.perRound') }
  ],
  idle: [
    delivered('documents read back'),
    { label: 'relay RSS before any client', format: 'bytes', get: key('rssBefore') },
    { label: 'relay RSS, documents loaded, readers idle', format: 'bytes', get: key('rssLoaded') },
    {
      label: 'RSS per idle loaded document (+1 idle connection)',
      format: 'bytes',
      get: key('rssPerDoc')
    },
    { label: 'that / the document V2-encoded', format: 'x', get: key('perDocOverV2') },
    { label: 'document encoded V1', format: 'bytes', ratio: false, get: key('v1PerDoc') },
    { label: 'document encoded V2', format: 'bytes', ratio: false, get: key('v2PerDoc') },
    ...latency('readMs', 'reader connect → holds the document'),
    peak
  ],
  cycles: [
    delivered('cycles synced'),
    { label: 'cycles per second', format: 'perSecond', get: key('cyclesPerSecond') },
    ...latency('cycleMs', 'connect → synced'),
    { label: 'relay CPU per cycle', format: 'ms', get: key('cpuMsPerCycle') },
    { label: 'relay RSS before the cycles', format: 'bytes', get: key('rssBefore') },
    { label: 'relay RSS 2.5 s after them', format: 'bytes', get: key('rssAfter') },
    { label: 'RSS growth', format: 'bytes', ratio: false, get: key('rssGrowth') },
    peak
  ],
  trace: [
    delivered('receiver and cold client hold the text'),
    { label: 'edits typed', format: 'int', ratio: false, get: key('edits') },
    { label: 'updates sent', format: 'int', ratio: false, get: key('updates') },
    { label: 'sender typing time (client side)', format: 'ms', ratio: false, get: key('typingMs') },
    { label: 'first send → receiver holds all', format: 'ms', get: key('firstToReceiverMs') },
    { label: 'last send → receiver holds all', format: 'ms', get: key('lastToReceiverMs') },
    { label: 'relay CPU, per round', format: 'ms', get: key('cpuMs.perRound') },
    peak,
    { label: 'document encoded V1', format: 'bytes', ratio: false, get: key('v1Bytes') },
    {
      label: 'document encoded V2 (the V2 snapshot)',
      format: 'bytes',
      ratio: false,
      get: key('v2Bytes')
    },
    { label: 'stored bytes (blobs of that room)', format: 'bytes', get: key('storedBytes') },
    { label: 'stored bytes / V2 snapshot', format: 'x', get: key('storedOverV2') },
    { label: 'database file(s)', format: 'bytes', get: key('fileBytes') },
    { label: 'database file(s) / V2 snapshot', format: 'x', get: key('fileOverV2') },
    { label: 'cold: spawn → answers HTTP', format: 'ms', get: key('coldSpawnToHttpMs') },
    {
      label: 'cold: connect → synced (whole trace)',
      format: 'ms',
      get: key('coldConnectToSyncedMs')
    },
    { label: 'cold: connect → holds the text', format: 'ms', get: key('coldConnectToTextMs') },
    {
      label: 'cold: spawn → first client holds the text',
      format: 'ms',
      get: key('coldSpawnToTextMs')
    }
  ],
  burst: [
    delivered('receiver, mid-burst joiner, fresh client'),
    {
      label: 'last send → connected receiver holds all',
      format: 'ms',
      get: key('lastToReceiverMs')
    },
    { label: 'last send → fresh client holds the text', format: 'ms', get: key('lastToFreshMs') },
    { label: 'fresh client: connect → synced', format: 'ms', get: key('freshConnectToSyncedMs') },
    {
      label: 'client joining mid-burst: connect → synced',
      format: 'ms',
      get: key('midConnectToSyncedMs')
    },
    { label: 'relay CPU, per round', format: 'ms', get: key('cpuMs.perRound') },
    { label: 'relay CPU per update', format: 'us', get: key('cpuUsPerUpdate') },
    {
      label: 'relay main thread waiting for a CPU (share of the burst)',
      format: 'share',
      ratio: false,
      get: key('relayWaiting')
    },
    peak,
    { label: 'sender typing time (client side)', format: 'ms', ratio: false, get: key('typingMs') }
  ],
  start: [
    { label: 'spawn → answers HTTP, median', format: 'ms', get: key('spawnToHttpMs.median') },
    { label: 'spawn → answers HTTP, max', format: 'ms', get: key('spawnToHttpMs.max') },
    {
      label: 'RSS at idle (2 s after start, no client)',
      format: 'bytes',
      get: key('idleRss.median')
    }
  ]
};

export function figuresFor(scenarioId: string): Figure[] {
  return FIGURES[scenarioId.startsWith('fanout') ? 'fanout' : scenarioId] ?? [];
}

function formatValue(value: number | null, format: Format): string {
  if (value === null || !Number.isFinite(value)) return '—';
  switch (format) {
    case 'ms':
      return value < 100 ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : fmtMs(value);
    case 'bytes':
      return fmtBytes(value);
    case 'us':
      return `${value.toFixed(value < 100 ? 1 : 0)} µs`;
    case 'x':
      return `${value.toFixed(2)}×`;
    case 'int':
      return fmtInt(value);
    case 'perSecond':
      return `${value.toFixed(0)}/s`;
    case 'share':
      return `${(value * 100).toFixed(0)}%`;
  }
}

export function ratio(ours: number | null, peer: number | null): number | null {
  if (ours === null || peer === null || !Number.isFinite(ours) || !Number.isFinite(peer))
    return null;
  if (peer === 0) return null;
  return ours / peer;
}

export interface ScenarioReport {
  id: string;
  title: string;
  description: string;
  summaries: Partial<Record<RelayKind, Summary>>;
  /** Relays that failed, with why. */
  failures: Partial<Record<RelayKind, string>>;
}

const PEERS: RelayKind[] = ['yws', 'hocuspocus'];

/** Rows of [figure, ours, yws, hocuspocus, ours/yws, ours/hocuspocus]. */
export function tableRows(report: ScenarioReport): string[][] {
  const rows: string[][] = [];
  for (const figure of figuresFor(report.id)) {
    const values = RELAY_KINDS.map((kind) => {
      const s = report.summaries[kind];
      return s ? figure.get(s) : null;
    });
    const cells = RELAY_KINDS.map((kind, i) => {
      const s = report.summaries[kind];
      if (!s) return report.failures[kind] ? 'failed' : '—';
      return figure.show ? figure.show(s) : formatValue(values[i], figure.format);
    });
    const ratios = PEERS.map((peer) => {
      if (figure.ratio === false) return '';
      const r = ratio(values[0], values[RELAY_KINDS.indexOf(peer)]);
      return r === null ? '—' : `${r.toFixed(2)}×`;
    });
    if (values.every((v) => v === null) && !figure.show) continue;
    rows.push([figure.label, ...cells, ...ratios]);
  }
  return rows;
}

export const HEADERS = [
  'figure',
  'ours',
  RELAYS.yws.label,
  RELAYS.hocuspocus.label,
  'ours / y-websocket',
  'ours / Hocuspocus'
];

export function printScenario(report: ScenarioReport): void {
  const rows = tableRows(report);
  const all = [HEADERS, ...rows];
  const widths = HEADERS.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' │ ');
  console.log(`E ${report.title}`);
  console.log(`  ${report.description}`);
  for (const [kind, why] of Object.entries(report.failures)) {
    console.log(`  ${RELAYS[kind as RelayKind].label} FAILED: ${why}`);
  }
  console.log(line(HEADERS));
  console.log(widths.map((w) => '─'.repeat(w)).join('─┼─'));
  for (const r of rows) console.log(line(r));
  console.log('');
}

export function markdownTable(rows: string[][], headers: string[]): string {
  const escape = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${headers.map(escape).join(' | ')} |`,
    `| ${headers.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(escape).join(' | ')} |`)
  ].join('\n');
}

export function scenarioMarkdown(report: ScenarioReport): string {
  const failures = Object.entries(report.failures)
    .map(([kind, why]) => `\n\n**${RELAYS[kind as RelayKind].label} failed:** ${why}`)
    .join('');
  return `### ${report.title}\n\n${report.description}${failures}\n\n${markdownTable(tableRows(report), HEADERS)}\n`;
}

// ─── targets: each figure of issue 9's table, measured ───

interface TargetRow {
  figure: string;
  issue: string;
  target: string;
  scenario: string;
  figureLabel?: string;
  /** Absolute targets compare ours alone. */
  absolute?: (s: Summary) => number | null;
  format?: Format;
  get?: (s: Summary) => number | null;
}

const TARGETS: TargetRow[] = [
  {
    figure: 'relay CPU per delivered update, 1 room × 200',
    issue: '1.06×',
    target: '≤ 0.8×',
    scenario: 'fanout1',
    figureLabel: 'relay CPU per delivered update'
  },
  {
    figure: 'relay CPU per delivered update, 100 rooms × 4',
    issue: '1.18×',
    target: '≤ 0.8×',
    scenario: 'fanout100',
    figureLabel: 'relay CPU per delivered update'
  },
  {
    figure: 'relay CPU per delivered update, 500 rooms × 2',
    issue: '1.20×',
    target: '≤ 0.8×',
    scenario: 'fanout500',
    figureLabel: 'relay CPU per delivered update'
  },
  {
    figure: 'fan-out p99, 1 room × 200',
    issue: '—',
    target: '≤ 0.5×',
    scenario: 'fanout1',
    figureLabel: 'fan-out latency p99'
  },
  {
    figure: 'fan-out p99, 100 rooms × 4',
    issue: '2.4× (11.4 vs 4.8 ms)',
    target: '≤ 1.0×',
    scenario: 'fanout100',
    figureLabel: 'fan-out latency p99'
  },
  {
    figure: 'fan-out p99, 500 rooms × 2',
    issue: '—',
    target: '≤ 1.0×',
    scenario: 'fanout500',
    figureLabel: 'fan-out latency p99'
  },
  {
    figure: '20,000 single-edit updates: last send → fresh client has the text',
    issue: '1.85×',
    target: '≤ 1.0×',
    scenario: 'burst',
    figureLabel: 'last send → fresh client holds the text'
  },
  {
    figure: 'a client connecting during that burst: connect → synced',
    issue: '5.1×',
    target: '≤ 1.0×',
    scenario: 'burst',
    figureLabel: 'client joining mid-burst: connect → synced'
  },
  {
    figure: 'RSS at idle',
    issue: '1.8× (93 vs 54 MB)',
    target: '≤ 1.0×',
    scenario: 'start',
    figureLabel: 'RSS at idle (2 s after start, no client)'
  },
  {
    figure: 'start: spawn → answers HTTP',
    issue: '5.4× (0.8 s vs 0.15 s)',
    target: '≤ 300 ms (ours)',
    scenario: 'start',
    figureLabel: 'spawn → answers HTTP, median',
    absolute: key('spawnToHttpMs.median'),
    format: 'ms'
  },
  {
    figure: 'idle loaded 2,000-word document (from outside: RSS, with its idle connection)',
    issue: 'heap 1.0×, about 230 KB, ~10× its encoded size',
    target: 'heap ≤ 3× its V2 size (ours)',
    scenario: 'idle',
    figureLabel: 'RSS per idle loaded document (+1 idle connection)',
    absolute: key('perDocOverV2'),
    format: 'x'
  },
  {
    figure: 'stored bytes after the trace / its V2 snapshot',
    issue: '1.9×',
    target: '≤ 1.2× (ours)',
    scenario: 'trace',
    figureLabel: 'stored bytes (blobs of that room)',
    absolute: key('storedOverV2'),
    format: 'x'
  },
  {
    figure: 'the database file after the trace / its V2 snapshot',
    issue: '4.4×',
    target: '≤ 1.5× (ours)',
    scenario: 'trace',
    figureLabel: 'database file(s)',
    absolute: key('fileOverV2'),
    format: 'x'
  },
  {
    figure: 'cold connect → synced, full trace',
    issue: '—',
    target: '≤ 100 ms (ours)',
    scenario: 'trace',
    figureLabel: 'cold: connect → synced (whole trace)',
    absolute: key('coldConnectToSyncedMs'),
    format: 'ms'
  }
];

/** [figure, when filed, target, measured, ours, yws, hocuspocus, ours/hocuspocus, verdict]. */
export function targetRows(reports: ScenarioReport[]): string[][] {
  const byId = new Map(reports.map((r) => [r.id, r]));
  const rows = TARGETS.map((t) => {
    const report = byId.get(t.scenario);
    const figure = report
      ? figuresFor(t.scenario).find((f) => f.label === t.figureLabel)
      : undefined;
    const value = (kind: RelayKind) => {
      const s = report?.summaries[kind];
      return s && figure ? figure.get(s) : null;
    };
    const show = (kind: RelayKind) =>
      figure ? formatValue(value(kind), figure.format) : 'not run';
    const r = (peer: RelayKind) => {
      const x = ratio(value('ours'), value(peer));
      return x === null ? '—' : `${x.toFixed(2)}×`;
    };
    const ours = report?.summaries.ours;
    const measured = t.absolute
      ? formatValue(ours ? t.absolute(ours) : null, t.format ?? 'x')
      : r('yws');
    return [
      t.figure,
      t.issue,
      t.target,
      measured,
      show('ours'),
      show('yws'),
      show('hocuspocus'),
      r('hocuspocus'),
      'see Verdicts'
    ];
  });
  const fanouts = ['fanout1', 'fanout100', 'fanout500']
    .map((id) => byId.get(id))
    .filter((r): r is ScenarioReport => !!r);
  const deliveredCell = (kind: RelayKind) =>
    fanouts
      .map((r) => {
        const s = r.summaries[kind];
        return s
          ? `${((100 * (s.delivered ?? 0)) / (s.expected || 1)).toFixed(s.delivered === s.expected ? 0 : 2)}%`
          : '—';
      })
      .join(', ');
  rows.push([
    'every update delivered (1 × 200, 100 × 4, 500 × 2)',
    '—',
    '100%',
    deliveredCell('ours'),
    deliveredCell('ours'),
    deliveredCell('yws'),
    deliveredCell('hocuspocus'),
    '',
    'see Verdicts'
  ]);
  return rows;
}

export function targetsMarkdown(reports: ScenarioReport[]): string {
  const headers = [
    'figure (issue 9)',
    'when filed (ours / ref.)',
    'target',
    'measured (ours / ref., or ours)',
    'ours',
    'y-websocket 2.1.0 (ref.)',
    'Hocuspocus',
    'ours / Hocuspocus',
    'verdict'
  ];
  return markdownTable(targetRows(reports), headers);
}

/** Ours against Hocuspocus on every figure both have, for "ahead of Hocuspocus". */
export function aheadOfHocuspocus(reports: ScenarioReport[]): {
  ahead: string[];
  behind: string[];
} {
  const ahead: string[] = [];
  const behind: string[] = [];
  for (const report of reports) {
    const ours = report.summaries.ours;
    const hp = report.summaries.hocuspocus;
    if (!ours || !hp) continue;
    for (const figure of figuresFor(report.id)) {
      if (figure.ratio === false || figure.show) continue;
      const r = ratio(figure.get(ours), figure.get(hp));
      if (r === null) continue;
      const higherIsBetter = figure.format === 'perSecond';
      const better = higherIsBetter ? r >= 1 : r <= 1;
      (better ? ahead : behind).push(`${report.id}: ${figure.label} ${r.toFixed(2)}×`);
    }
  }
  return { ahead, behind };
}

export const BEGIN =
  '<!-- bench:E:begin (written by `BENCH_PARTS=E npm run bench`; keep edits outside) -->';
export const END = '<!-- bench:E:end -->';

const SKELETON = `# Benchmark results

Issue 9: a relay leaner than the in-memory reference while storing
everything, proven side by side with y-websocket and Hocuspocus. The block
between the markers below is written by \`BENCH_PARTS=E npm run bench\` at
full size; everything outside it is written by hand and kept across runs.

${BEGIN}
${END}

## Verdicts

For each target: met or missed, by how much, and why (what would close it).
To be filled from the full run above once the relay's lean changes (group
commit, compiled server, V2 snapshots, idle rooms kept encoded) have landed.

- Relay CPU per delivered update ≤ 0.8× the y-websocket server (1 × 200, 100 × 4, 500 × 2): _to fill_
- Fan-out p99 ≤ 0.5× at 1 × 200, ≤ 1.0× at 100 × 4 and 500 × 2: _to fill_
- Every update delivered: _to fill_
- RSS at idle ≤ 1.0× the reference: _to fill_
- Start ≤ 300 ms: _to fill_
- 20,000-edit burst: last send → fresh client ≤ 1.0×; a client joining mid-burst ≤ 1.0×: _to fill_
- Heap per idle loaded document ≤ 3× its V2-encoded size: _to fill_ (part E sees RSS
  from outside, with one idle connection per document; part A measures the heap in-process)
- Stored bytes ≤ 1.2× the V2 snapshot; the file ≤ 1.5×; cold connect → synced for the full trace ≤ 100 ms: _to fill_
- Ahead of Hocuspocus on every figure where it stores as durably: _to fill_ (Hocuspocus
  stores 2 s after the last change, at the latest 10 s after the first unstored one, and does
  not wait for the write, while its clients count an edit as synced once the server has it
  in memory: a crash loses up to about 10 s of edits; ours stores every update before
  forwarding it; the y-websocket server stores nothing)

## Client side (issue 9, part 3)

_Not measured yet: the Chromium part (the automerge-paper document from
IndexedDB to editable, keystroke-to-paint p50/p99 over 1,000 characters,
IndexedDB size after 100 reloads) writes here._
`;

/** Replaces the block between the markers (creating the file from the skeleton if needed). */
export function writeResults(file: string, block: string): void {
  mkdirSync(dirname(file), { recursive: true });
  let text = existsSync(file) ? readFileSync(file, 'utf8') : SKELETON;
  let begin = text.indexOf(BEGIN);
  let end = text.indexOf(END);
  if (begin < 0 || end < begin) {
    text = `${text.trimEnd()}\n\n${BEGIN}\n${END}\n`;
    begin = text.indexOf(BEGIN);
    end = text.indexOf(END);
  }
  const next = `${text.slice(0, begin + BEGIN.length)}\n\n${block.trim()}\n\n${text.slice(end)}`;
  writeFileSync(file, next);
}
