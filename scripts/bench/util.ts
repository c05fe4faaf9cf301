/**
 * Small helpers shared by the benchmark parts: paths, polling, heap samples,
 * formatting. Nothing here measures anything by itself.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root, found from this file so the bench runs from any cwd. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The traces live beside the repository, not in it (they are shared across
 * checkouts). BENCH_TRACES_DIR overrides it, e.g. to try the no-trace path.
 */
export const TRACES_DIR = resolve(ROOT, process.env.BENCH_TRACES_DIR ?? '../shared/traces');

/** One row of the final table. */
export interface Row {
  part: string;
  measure: string;
  value: string;
  note?: string;
}

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) {
    throw new Error(`${name} must be a non-negative whole number; got "${raw}"`);
  }
  return value;
}

/** Progress goes to stderr so stdout carries only the results. */
export function progress(message: string): void {
  process.stderr.write(`  … ${message}\n`);
}

/** Polls until `condition` holds; a deadline instead of fixed sleeps. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  { timeoutMs = 30_000, intervalMs = 1 } = {}
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

export interface HeapSample {
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  rss: number;
}

/**
 * Heap after full collections. Several rounds with a macrotask in between,
 * because objects freed by one collection (weak refs, FinalizationRegistry,
 * closed sockets' callbacks) are only collectable in the next.
 */
export async function settledHeap(): Promise<HeapSample> {
  const gc = globalThis.gc;
  if (!gc) throw new Error('run node with --expose-gc');
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
  const { heapUsed, external, arrayBuffers, rss } = process.memoryUsage();
  return { heapUsed, external, arrayBuffers, rss };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function fmtMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`;
}

export function fmtBytes(bytes: number): string {
  const sign = bytes < 0 ? '-' : '';
  const abs = Math.abs(bytes);
  if (abs >= 1024 * 1024) return `${sign}${(abs / 1024 / 1024).toFixed(2)} MiB`;
  if (abs >= 1024) return `${sign}${(abs / 1024).toFixed(1)} KiB`;
  return `${sign}${abs.toFixed(0)} B`;
}

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Reads a gzipped JSON trace, or null (with the reason) when it is not there. */
export function readGzJson<T>(file: string): { data: T } | { missing: string } {
  const path = resolve(TRACES_DIR, file);
  if (!existsSync(path)) return { missing: `${path} not found` };
  return {
    data: JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as T
  };
}

/** Runs async jobs with at most `limit` in flight, so 200 sockets do not open at once. */
export async function inBatches<T>(
  items: T[],
  limit: number,
  job: (item: T, index: number) => Promise<void>
): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      await job(items[index], index);
    }
  });
  await Promise.all(workers);
}

/** The built app's request handler. */
export const HANDLER = join(ROOT, 'build', 'handler.js');

/** Newest modification time under the app's sources, like scripts/start.js. */
export function newestSourceMtime(): number {
  const walk = (dir: string): number => {
    let newest = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      newest = Math.max(newest, entry.isDirectory() ? walk(path) : statSync(path).mtimeMs);
    }
    return newest;
  };
  const dirs = ['src', 'static'].map((d) => join(ROOT, d)).filter(existsSync);
  const files = ['svelte.config.js', 'vite.config.ts', 'package-lock.json']
    .map((f) => join(ROOT, f))
    .filter(existsSync);
  return Math.max(...dirs.map(walk), ...files.map((f) => statSync(f).mtimeMs));
}

/**
 * Uses build/ when it is newer than the sources, otherwise builds it
 * (BENCH_BUILD=never skips building, =always forces it). Parts C and D share it.
 */
export function ensureBuild(part: string): { ok: boolean; note: string } {
  const mode = process.env.BENCH_BUILD ?? 'auto';
  const fresh = existsSync(HANDLER) && statSync(HANDLER).mtimeMs >= newestSourceMtime();
  if (mode !== 'always' && fresh) return { ok: true, note: 'existing build/' };
  if (mode === 'never') {
    return existsSync(HANDLER)
      ? { ok: true, note: 'existing build/ (older than the sources)' }
      : { ok: false, note: 'build/ is missing and BENCH_BUILD=never' };
  }
  progress(`${part}: building the app (npx vite build)`);
  const started = performance.now();
  const result = spawnSync('npx', ['vite', 'build'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    stdio: ['ignore', 'pipe', 'pipe']
  });
  if (result.status !== 0 || !existsSync(HANDLER)) {
    const tail = `${result.stdout ?? ''}\n${result.stderr ?? ''}`
      .trim()
      .split('\n')
      .slice(-6)
      .join(' | ');
    return {
      ok: false,
      note: `the app does not build yet (npx vite build failed): ${tail}`
    };
  }
  return { ok: true, note: `built in ${fmtMs(performance.now() - started)}` };
}

/**
 * A credential for the bench person on a data directory, as the relay would
 * issue it, and the localStorage entry a joined device keeps
 * (docs/access.md): the app connects with it like any member.
 */
export async function benchAccess(
  dataDir: string,
  personId: string
): Promise<{ credential: string; personId: string; role: 'editor'; workspaceId: string }> {
  const { SqliteAccessStore } = await import('../../server/auth/SqliteAccessStore.js');
  const { Access } = await import('../../server/auth/Access.js');
  const { loadOrCreateSecret } = await import('../../server/auth/secret.js');
  const { join } = await import('node:path');
  const store = new SqliteAccessStore(join(dataDir, 'relay.sqlite'));
  try {
    const access = new Access({
      store,
      secret: loadOrCreateSecret(dataDir).secret,
      workspaceId: 'main'
    });
    const { credential } = await access.issueToken({ role: 'editor', name: 'Bench', personId });
    return { credential, personId, role: 'editor', workspaceId: 'main' };
  } finally {
    store.close();
  }
}

/**
 * A copy of build/ for one part to serve from (DRIFTWRITE_BUILD_DIR), so a
 * rebuild running beside the bench (the end-to-end tests, another bench)
 * cannot delete route chunks the server still imports lazily by hashed name.
 * It goes under node_modules/.cache so the app's own imports still resolve.
 */
export function copyBuild(part: string): { dir: string; remove: () => void } {
  const cache = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, `driftwrite-bench-${part.toLowerCase()}-build-`));
  cpSync(join(ROOT, 'build'), dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Replaces the text between `<!-- bench:<key>:begin … -->` and
 * `<!-- bench:<key>:end -->` in a markdown file. Without the markers, the
 * block goes right under the `heading` line (appended with the heading when
 * that is missing too); the file is created if need be. Everything outside
 * the markers is kept: it is written by hand.
 */
export function writeMarkedBlock(
  file: string,
  key: string,
  command: string,
  heading: string,
  block: string
): void {
  const begin = `<!-- bench:${key}:begin (written by \`${command}\`; keep edits outside) -->`;
  const end = `<!-- bench:${key}:end -->`;
  let text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmark results\n';
  const beginAt = text.search(new RegExp(`<!-- bench:${key}:begin\\b`));
  const endAt = text.indexOf(end);
  const marked = `${begin}\n\n${block.trim()}\n\n${end}`;
  if (beginAt >= 0 && endAt > beginAt) {
    text = `${text.slice(0, beginAt)}${marked}${text.slice(endAt + end.length)}`;
  } else {
    const headingAt = text.split('\n').findIndex((line) => line.trim() === heading);
    if (headingAt < 0) {
      text = `${text.trimEnd()}\n\n${heading}\n\n${marked}\n`;
    } else {
      const lines = text.split('\n');
      lines.splice(headingAt + 1, 0, '', marked);
      text = lines.join('\n');
    }
  }
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
}
