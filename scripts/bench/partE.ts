/**
 * E. Our relay side by side with the y-websocket 2.1.0 server and Hocuspocus
 * 3.x (SQLite extension), each a process of its own, driven alternately,
 * round by round, by the same published clients in forked client processes
 * (issue 9, part 2). Figures are read from outside: CPU and memory of the
 * relay's process from /proc, latencies from timestamps in the updates.
 *
 * Writes bench/RESULTS.md (between its markers) on a full-size run of every
 * scenario and relay; any other run writes a file under the temp directory
 * unless BENCH_RESULTS names one.
 *
 * Environment: BENCH_SCALE (1; 0.1 for a quick run), BENCH_E_ROUNDS (2 at
 * full size, else 1), BENCH_E_SCENARIOS (fanout1,fanout100,fanout500,idle,
 * cycles,trace,burst,start), BENCH_E_RELAYS (ours,yws,hocuspocus),
 * BENCH_E_WINDOW_MS (fan-out send window: 10000, quick 3000), BENCH_E_RATES
 * (updates/s of the three fan-out scenarios: 10,400,500), BENCH_E_AWARENESS
 * (1: fan-out clients publish a presence state; off by default),
 * BENCH_E_CLIENT_PROCS (2), BENCH_E_IDLE_DOCS (500), BENCH_E_IDLE_WORDS (2000),
 * BENCH_E_CYCLES (5000), BENCH_E_CYCLE_ROOMS (50), BENCH_E_CYCLE_CONCURRENCY (8),
 * BENCH_E_TRACE_EDITS (the whole trace), BENCH_E_TRACE_BATCH (100),
 * BENCH_E_BURST_EDITS (20000), BENCH_E_START_SAMPLES (3, quick 2), BENCH_E_DRAIN_MS
 * (15000), BENCH_OURS_RELAY (how to start ours; default from `npm run relay`),
 * BENCH_RESULTS (where to write the markdown).
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { wallNow } from './sideBySide/clock.js';
import {
  commandLine,
  oursCommand,
  RELAYS,
  RELAY_KINDS,
  removeTokenTemplate,
  startRelay,
  versionOf,
  type RelayKind
} from './sideBySide/relays.js';
import {
  aheadOfHocuspocus,
  printScenario,
  scenarioMarkdown,
  summarize,
  targetRows,
  targetsMarkdown,
  writeResults,
  type ScenarioReport
} from './sideBySide/report.js';
import { scenarios, type RunResult, type Sizes } from './sideBySide/scenarios.js';
import { loadTrace } from './sideBySide/trace.js';
import { envInt, fmtBytes, fmtMs, progress, ROOT, type Row } from './util.js';

const PART = 'E side by side';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} must be a positive number; got "${raw}"`);
  }
  return value;
}

function envList<T extends string>(name: string, all: readonly T[]): T[] {
  const raw = process.env[name]?.trim();
  if (!raw) return [...all];
  const chosen = raw.split(',').map((s) => s.trim());
  const unknown = chosen.filter((s) => !all.includes(s as T));
  if (unknown.length) {
    throw new Error(`${name}: unknown ${unknown.join(', ')} (choose from ${all.join(', ')})`);
  }
  return all.filter((x) => chosen.includes(x));
}

function sizesFromEnv(): Sizes {
  const scale = envNumber('BENCH_SCALE', 1);
  const full = scale >= 1;
  const n = (value: number, min: number) => Math.max(min, Math.round(value * scale));
  const traceLength = loadTrace().patches.length;
  return {
    scale,
    rounds: Math.max(1, envInt('BENCH_E_ROUNDS', full ? 2 : 1)),
    windowMs: envInt('BENCH_E_WINDOW_MS', full ? 10_000 : 3000),
    clientProcs: Math.max(1, envInt('BENCH_E_CLIENT_PROCS', 2)),
    idleDocs: envInt('BENCH_E_IDLE_DOCS', n(500, 5)),
    idleWords: envInt('BENCH_E_IDLE_WORDS', 2000),
    cycles: envInt('BENCH_E_CYCLES', n(5000, 50)),
    cycleRooms: Math.max(1, envInt('BENCH_E_CYCLE_ROOMS', n(50, 5))),
    cycleConcurrency: Math.max(1, envInt('BENCH_E_CYCLE_CONCURRENCY', 8)),
    traceEdits: Math.min(traceLength, envInt('BENCH_E_TRACE_EDITS', n(traceLength, 1000))),
    traceBatch: Math.max(1, envInt('BENCH_E_TRACE_BATCH', 100)),
    burstEdits: Math.min(traceLength, envInt('BENCH_E_BURST_EDITS', n(20_000, 200))),
    startSamples: Math.max(1, envInt('BENCH_E_START_SAMPLES', full ? 3 : 2)),
    drainMs: envInt('BENCH_E_DRAIN_MS', 15_000),
    fanoutAwareness: process.env.BENCH_E_AWARENESS === '1'
  };
}

/** The command as typed, with the BENCH_* variables that were set. */
function commandText(): string {
  const vars = Object.entries(process.env)
    .filter(([k, v]) => k.startsWith('BENCH_') && v)
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  if (!vars.some((v) => v.startsWith('BENCH_PARTS='))) vars.unshift('BENCH_PARTS=E');
  return `${vars.join(' ')} npm run bench`;
}

function describeSetup(
  sizes: Sizes,
  relays: RelayKind[],
  startedAt: Date,
  tookMs: number,
  load: number[][]
): string {
  const cpu = cpus();
  const ours = oursCommand();
  const lines = [
    `## Relays side by side (part E)`,
    '',
    `- Command: \`${commandText()}\``,
    `- Date: ${startedAt.toISOString()} (took ${fmtMs(tookMs)})`,
    `- Machine: ${cpu.length} × ${cpu[0]?.model ?? '?'} (os.cpus()), ${fmtBytes(totalmem())} RAM; ` +
      `Node ${process.version} (${platform()} ${release()}); load average (1 min) at start ` +
      `${load[0][0].toFixed(2)}, at end ${load[1][0].toFixed(2)}: other work on the machine ` +
      `shares its ${cpu.length} cores with the relay and the clients`,
    `- Packages: yjs ${versionOf('yjs')}; clients y-websocket ${versionOf('y-websocket')} and ` +
      `@hocuspocus/provider ${versionOf('@hocuspocus/provider')}; servers y-websocket ` +
      `${versionOf('y-websocket-server-2')} (npm alias y-websocket-server-2), @hocuspocus/server ` +
      `${versionOf('@hocuspocus/server')} with @hocuspocus/extension-sqlite ` +
      `${versionOf('@hocuspocus/extension-sqlite')} (sqlite3 ${versionOf('sqlite3')}, built from source here)`,
    `- Relays (${relays.map((k) => RELAYS[k].label).join(', ')}), one fresh process per scenario, ` +
      `round and relay, on 127.0.0.1; within a round the order rotates:`,
    `  - ours: \`${commandLine('ours')}\` (${ours.note}), a temporary DATA_DIR holding one editor ` +
      `credential (\`npm run token\`), clients connect with \`?token=\`; per-connection rate limits off ` +
      `(RATE_MESSAGES_PER_SECOND=0, RATE_BYTES_PER_SECOND=0: the peers have none, and the burst ` +
      `would pass them); stores every update before forwarding it`,
    `  - y-websocket: \`${commandLine('yws')}\` with HOST/PORT, no YPERSISTENCE: memory only, ` +
      `a restart loses every document`,
    `  - Hocuspocus: \`${commandLine('hocuspocus')}\` (Server + SQLite extension, defaults): stores ` +
      `the whole document 2 s after the last change, at the latest 10 s after the first unstored ` +
      `one, without waiting for the write; a crash loses up to ~10 s of edits`,
    `- Clients: the published y-websocket ${versionOf('y-websocket')} WebsocketProvider (ours and ` +
      `y-websocket) and @hocuspocus/provider (Hocuspocus), over \`ws\`, one socket per client, in ` +
      `forked client processes (not the relay's); timestamps are performance.timeOrigin + ` +
      `performance.now(), one clock for every process`,
    `- Relay CPU: utime + stime of /proc/<pid>/stat over the measured window (every thread, ` +
      `SQLite's included); RSS: VmRSS, peak: VmHWM of /proc/<pid>/status`,
    `- Sizes: scale ${sizes.scale}, ${sizes.rounds} round(s) per scenario and relay (latencies ` +
      `pooled over rounds, other figures the median of the rounds, counts summed), ` +
      `${sizes.clientProcs} client processes`,
    `- Ratios are ours / peer: below 1× ours is lower (for "cycles per second", higher is better)`,
    `- Read latencies with the "waiting for a CPU" rows (the main thread's run-queue wait, ` +
      `/proc/<pid>/schedstat): where the relay or the clients waited for a core for more than a ` +
      `few percent of the window, other work on the machine set the latencies, not the relay; ` +
      `CPU per update and memory hold up better under such load`
  ];
  return lines.join('\n');
}

export async function runPartE(): Promise<Row[]> {
  const sizes = sizesFromEnv();
  const rates = (process.env.BENCH_E_RATES ?? '10,400,500').split(',').map(Number);
  if (rates.length !== 3 || rates.some((r) => !Number.isFinite(r) || r <= 0)) {
    throw new Error('BENCH_E_RATES takes three positive numbers, e.g. "10,400,500"');
  }
  const all = scenarios(rates);
  const chosenIds = envList(
    'BENCH_E_SCENARIOS',
    all.map((s) => s.id)
  );
  const selected = all.filter((s) => chosenIds.includes(s.id));
  const relays = envList('BENCH_E_RELAYS', RELAY_KINDS);
  const startedAt = new Date();
  const started = wallNow();
  const loadStart = loadavg();
  const reports: ScenarioReport[] = [];
  try {
    // One unmeasured start of each relay first: `npm run relay` compiles the
    // server when its sources changed, and the files should be in the page
    // cache for every relay alike.
    for (const kind of relays) {
      progress(`E: warm-up start of ${RELAYS[kind].label}`);
      const relay = await startRelay(kind);
      await relay.stop();
      rmSync(relay.dataDir, { recursive: true, force: true });
    }
    for (const scenario of selected) {
      const loadBefore = loadavg()[0];
      const runs: Partial<Record<RelayKind, RunResult[]>> = {};
      const failures: Partial<Record<RelayKind, string>> = {};
      for (let round = 0; round < sizes.rounds; round++) {
        const order = relays.map((_, i) => relays[(i + round) % relays.length]);
        for (const kind of order) {
          if (failures[kind]) continue;
          progress(
            `E: ${scenario.title(sizes)}, round ${round + 1}/${sizes.rounds}, ${RELAYS[kind].label}`
          );
          const runStarted = wallNow();
          try {
            (runs[kind] ??= []).push(await scenario.run(kind, sizes, round));
          } catch (error) {
            failures[kind] = error instanceof Error ? error.message.split('\n')[0] : String(error);
            progress(`E: ${RELAYS[kind].label} failed: ${failures[kind]}`);
          }
          progress(`E: … took ${fmtMs(wallNow() - runStarted)}`);
        }
      }
      const summaries: ScenarioReport['summaries'] = {};
      for (const kind of relays) {
        const list = runs[kind];
        if (list?.length) summaries[kind] = summarize(list);
      }
      const report: ScenarioReport = {
        id: scenario.id,
        title: scenario.title(sizes),
        description:
          `${scenario.describe(sizes)} Machine load average (1 min) ` +
          `${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after.`,
        summaries,
        failures
      };
      printScenario(report);
      reports.push(report);
    }
  } finally {
    removeTokenTemplate();
  }
  const tookMs = wallNow() - started;

  const { ahead, behind } = aheadOfHocuspocus(reports);
  const block = [
    describeSetup(sizes, relays, startedAt, tookMs, [loadStart, loadavg()]),
    '',
    '### Targets: each figure of the issue, measured',
    '',
    'Ratios are ours / the y-websocket server in this run unless the target is absolute ' +
      '("(ours)"). The verdicts are filled in by hand below.',
    '',
    targetsMarkdown(reports),
    '',
    `Ours against Hocuspocus, on every figure both report: ahead (≤ 1×) on ${ahead.length}, ` +
      `behind on ${behind.length}${behind.length ? `: ${behind.join('; ')}` : ''}.`,
    '',
    ...reports.map(scenarioMarkdown)
  ].join('\n');

  const complete =
    sizes.scale >= 1 && selected.length === all.length && relays.length === RELAY_KINDS.length;
  const file =
    process.env.BENCH_RESULTS?.trim() ||
    (complete
      ? join(ROOT, 'bench', 'RESULTS.md')
      : join(tmpdir(), 'driftwrite-bench-e-RESULTS.md'));
  writeResults(file, block);
  // The repository's prettier check covers bench/RESULTS.md; format it as it would.
  spawnSync(join(ROOT, 'node_modules', '.bin', 'prettier'), ['--write', file], {
    cwd: ROOT,
    stdio: 'ignore'
  });
  console.log(
    `E: results written to ${file}${complete ? '' : ' (not a full run: bench/RESULTS.md left alone)'}`
  );
  console.log('');

  const rows: Row[] = targetRows(reports).map(([figure, , target, measured, ours, yws, hp]) => ({
    part: PART,
    measure: figure,
    value: measured,
    note: `target ${target}; ours ${ours}, y-websocket ${yws}, Hocuspocus ${hp}`
  }));
  for (const report of reports) {
    for (const [kind, why] of Object.entries(report.failures)) {
      rows.push({
        part: PART,
        measure: `${report.id}: ${RELAYS[kind as RelayKind].label}`,
        value: 'FAILED',
        note: why
      });
    }
  }
  rows.push({
    part: PART,
    measure: 'ahead of Hocuspocus on',
    value: `${ahead.length}/${ahead.length + behind.length} figures`,
    note: behind.length
      ? `behind: ${behind.slice(0, 6).join('; ')}${behind.length > 6 ? '; …' : ''}`
      : ''
  });
  rows.push({
    part: PART,
    measure: 'results',
    value: complete ? 'bench/RESULTS.md' : 'temp file',
    note: file
  });
  return rows;
}
