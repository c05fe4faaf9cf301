/**
 * The relay as a separate process (`server/relayMain.ts`), for what an
 * in-process server cannot show: kill -9 and signal handling.
 *
 * It runs as `node --import tsx …` rather than through `npx tsx`: both of
 * those put a parent process in front of the relay, so a SIGKILL would hit the
 * wrapper and leave the real relay running on the data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const STARTUP_TIMEOUT_MS = 15_000;

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildRelay {
  readonly child: ChildProcess;
  /** ws://127.0.0.1:PORT/sync, from the relay's own "relay ready" line. */
  readonly wsUrl: string;
  readonly exited: Promise<ChildExit>;
  /** Everything the process printed, for failure messages. */
  output(): string;
  /** Sends a signal and waits for the process to exit. */
  stop(signal: NodeJS.Signals): Promise<ChildExit>;
}

export async function spawnRelay(dataDir: string): Promise<ChildRelay> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/relayMain.ts'], {
    cwd: repoRoot,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe']
  });
  let output = '';
  const exited = new Promise<ChildExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal }))
  );
  const wsUrl = await new Promise<string>((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the relay did not start in ${STARTUP_TIMEOUT_MS} ms:\n${output}`));
    }, STARTUP_TIMEOUT_MS);
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const url = readyUrl(line);
        if (url) {
          clearTimeout(timer);
          resolve(url);
        }
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    void exited.then((exit) => {
      clearTimeout(timer);
      reject(
        new Error(`the relay exited before it was ready (${JSON.stringify(exit)}):\n${output}`)
      );
    });
  });
  return {
    child,
    wsUrl,
    exited,
    output: () => output,
    stop(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    }
  };
}

function readyUrl(line: string): string | null {
  if (!line.startsWith('{')) return null;
  try {
    const entry = JSON.parse(line) as { message?: string; url?: string };
    return entry.message === 'relay ready' && entry.url ? entry.url : null;
  } catch {
    return null;
  }
}
