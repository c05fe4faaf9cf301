/**
 * The three relays of part E, each started as a process of its own on a free
 * port, and what can be read about a process from outside: CPU time
 * (utime + stime of /proc/<pid>/stat, every thread included), resident memory
 * (VmRSS) and its peak (VmHWM) from /proc/<pid>/status.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../util.js';
import { wallNow } from './clock.js';

export type RelayKind = 'ours' | 'yws' | 'hocuspocus';
export const RELAY_KINDS: RelayKind[] = ['ours', 'yws', 'hocuspocus'];

/** How clients talk to a relay: y-websocket framing, or Hocuspocus's own. */
export type ClientKind = 'ws' | 'hp';

export interface RelayInfo {
  kind: RelayKind;
  label: string;
  clientKind: ClientKind;
  /** Whether it keeps documents across a restart. */
  durable: boolean;
}

export const RELAYS: Record<RelayKind, RelayInfo> = {
  ours: { kind: 'ours', label: 'ours', clientKind: 'ws', durable: true },
  yws: { kind: 'yws', label: 'y-websocket 2.1.0', clientKind: 'ws', durable: false },
  hocuspocus: {
    kind: 'hocuspocus',
    label: 'Hocuspocus',
    clientKind: 'hp',
    durable: true
  }
};

/** What a client process needs to reach a relay. */
export interface Target {
  kind: ClientKind;
  /** Base URL; y-websocket appends "/<room>", Hocuspocus sends the name per message. */
  url: string;
  token?: string;
}

export interface RunningRelay {
  info: RelayInfo;
  pid: number;
  port: number;
  dataDir: string;
  target: Target;
  /** Wall clock (ms, sub-ms precision) just before spawn, and when HTTP first answered. */
  spawnedAt: number;
  answeredAt: number;
  cpuMs(): number;
  /** Main thread's time waiting for a CPU, ms (see runQueueWaitMs). */
  waitMs(): number;
  rssBytes(): number;
  peakRssBytes(): number;
  output(): string;
  /** SIGTERM (a clean stop: ours flushes), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/** The reference server's own entry (not in its package's exports). */
const YWS_SERVER = join(ROOT, 'node_modules', 'y-websocket-server-2', 'bin', 'server.cjs');

let clockTicks = 0;
function ticksPerSecond(): number {
  if (!clockTicks) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    clockTicks = Number(out.stdout?.trim()) || 100;
  }
  return clockTicks;
}

export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
}

/**
 * Time the process's main thread spent runnable but waiting for a CPU
 * (/proc/<pid>/schedstat, second field): high when other work on the
 * machine takes the cores, whatever the process itself costs.
 */
export function runQueueWaitMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
  return Number(fields[1]) / 1e6;
}

function statusKiB(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) : 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * How ours is started: what `npm run relay` runs, without npm in front (so
 * the pid read is the relay's). `tsx X` becomes `node --import tsx X`,
 * `node X` stays; anything else falls back to the TypeScript entry.
 * BENCH_OURS_RELAY (e.g. "node dist/server/relayMain.js") overrides it.
 */
export function oursCommand(): { args: string[]; display: string; note: string } {
  const override = process.env.BENCH_OURS_RELAY?.trim();
  const fallback = ['--import', 'tsx', 'server/relayMain.ts'];
  let script = override;
  let from = 'BENCH_OURS_RELAY';
  if (!script) {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts?: Record<string, string>;
    };
    script = pkg.scripts?.relay ?? '';
    from = '`npm run relay`';
  }
  const words = script
    .replace(/^exec\s+/, '')
    .split(/\s+/)
    .filter(Boolean);
  let args: string[] | null = null;
  if (words[0] === 'tsx' && words.length >= 2) args = ['--import', 'tsx', ...words.slice(1)];
  else if (words[0] === 'node' && words.length >= 2) args = words.slice(1);
  let note = `from ${from} ("${script}")`;
  const entry = args?.find((a) => /\.(c|m)?[jt]s$/.test(a));
  if (!args || (entry && !existsSync(join(ROOT, entry)))) {
    note = `${from} ("${script}") is not a plain "node X" / "tsx X" with X present; ran the TypeScript entry`;
    args = fallback;
  }
  return { args, display: `node ${args.join(' ')}`, note };
}

let tokenTemplate: { dir: string; token: string } | null = null;

/**
 * A data directory holding the relay's secret and one editor credential,
 * made once with `npm run token` and copied for every start (the relay
 * admits nobody without a credential it signed; docs/access.md).
 */
function oursTemplate(): { dir: string; token: string } {
  if (tokenTemplate) return tokenTemplate;
  const dir = mkdtempSync(join(tmpdir(), 'driftwrite-bench-e-token-'));
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', 'scripts/token.ts', '--role', 'editor', '--name', 'bench'],
    { cwd: ROOT, env: { ...process.env, DATA_DIR: dir }, encoding: 'utf8', timeout: 60_000 }
  );
  const lines = (result.stdout ?? '').trim().split('\n');
  const token = lines[lines.length - 1]?.trim();
  if (result.status !== 0 || !token || /\s/.test(token)) {
    throw new Error(`npm run token failed: ${result.stderr || result.stdout}`);
  }
  tokenTemplate = { dir, token };
  return tokenTemplate;
}

export function removeTokenTemplate(): void {
  if (tokenTemplate) rmSync(tokenTemplate.dir, { recursive: true, force: true });
  tokenTemplate = null;
}

/** A fresh data directory for one relay run (ours gets the credential's template). */
export function freshDataDir(kind: RelayKind): string {
  const dir = mkdtempSync(join(tmpdir(), `driftwrite-bench-e-${kind}-`));
  if (kind === 'ours') cpSync(oursTemplate().dir, dir, { recursive: true });
  return dir;
}

function commandFor(kind: RelayKind): string[] {
  if (kind === 'ours') return oursCommand().args;
  if (kind === 'yws') return [YWS_SERVER];
  return [join(ROOT, 'scripts/bench/sideBySide/hocuspocusRelay.js')];
}

export function commandLine(kind: RelayKind): string {
  if (kind === 'ours') return oursCommand().display;
  if (kind === 'yws') return 'node node_modules/y-websocket-server-2/bin/server.cjs';
  return 'node scripts/bench/sideBySide/hocuspocusRelay.js';
}

/** Polls GET until anything answers (any status), every 2 ms. */
async function firstAnswer(url: string, child: ChildProcess, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited before answering HTTP (${child.exitCode ?? child.signalCode})`);
    }
    const answered = await new Promise<boolean>((resolve) => {
      const request = get(url, { agent: false, timeout: 500 }, (response) => {
        response.resume();
        resolve(true);
      });
      request.on('error', () => resolve(false));
      request.on('timeout', () => {
        request.destroy();
        resolve(false);
      });
    });
    if (answered) return wallNow();
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`no HTTP answer within ${timeoutMs} ms`);
}

/**
 * Starts a relay on `dataDir` (a fresh one unless given: cold starts reuse
 * the previous run's) and returns once it answers HTTP.
 */
export async function startRelay(
  kind: RelayKind,
  dataDir = freshDataDir(kind)
): Promise<RunningRelay> {
  const info = RELAYS[kind];
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir
  };
  if (kind === 'ours') {
    // The peers have no per-connection rate limits; a 20,000-edit burst from
    // one client would pass ours (300 messages/s, 3,000 at once).
    env.RATE_MESSAGES_PER_SECOND = '0';
    env.RATE_BYTES_PER_SECOND = '0';
  }
  delete env.YPERSISTENCE;
  delete env.NODE_OPTIONS;
  const spawnedAt = wallNow();
  const child = spawn(process.execPath, commandFor(kind), {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const path = kind === 'ours' ? '/healthz' : '/';
  let answeredAt: number;
  try {
    answeredAt = await firstAnswer(`http://127.0.0.1:${port}${path}`, child);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(
      `${info.label} did not start: ${error instanceof Error ? error.message : String(error)}\n${output.slice(-2000)}`,
      { cause: error }
    );
  }
  const pid = child.pid!;
  const target: Target =
    kind === 'ours'
      ? { kind: 'ws', url: `ws://127.0.0.1:${port}/sync`, token: oursTemplate().token }
      : { kind: info.clientKind, url: `ws://127.0.0.1:${port}` };
  return {
    info,
    pid,
    port,
    dataDir,
    target,
    spawnedAt,
    answeredAt,
    cpuMs: () => cpuMsOf(pid),
    waitMs: () => runQueueWaitMs(pid),
    rssBytes: () => statusKiB(pid, 'VmRSS') * 1024,
    peakRssBytes: () => statusKiB(pid, 'VmHWM') * 1024,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
}

/** Version of an installed package, or "?". */
export function versionOf(pkg: string): string {
  try {
    const file = join(ROOT, 'node_modules', pkg, 'package.json');
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}
