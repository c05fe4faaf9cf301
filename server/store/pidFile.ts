/**
 * DATA_DIR/relay.pid: the pid of the server that has the data directory open,
 * written once it listens and removed on a clean exit. Tools that must not run
 * beside a live relay (npm run restore) read it. A relay killed with SIGKILL
 * leaves the file behind, so a pid is only believed while that process lives.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PID_FILE = 'relay.pid';

export function pidFilePath(dataDir: string): string {
  return join(dataDir, PID_FILE);
}

/** Records `pid` (this process by default) as the server using `dataDir`. */
export function writePidFile(dataDir: string, pid: number = process.pid): void {
  mkdirSync(dataDir, { recursive: true });
  const path = pidFilePath(dataDir);
  const temporary = `${path}.${pid}.tmp`;
  writeFileSync(temporary, `${pid}\n`);
  renameSync(temporary, path);
}

/**
 * Removes the pid file if it still names `pid` (this process by default), so a
 * server exiting late never removes the file of one that started after it.
 * Never throws: it runs on the way out.
 */
export function removePidFile(dataDir: string, pid: number = process.pid): void {
  try {
    if (readPid(dataDir) === pid) rmSync(pidFilePath(dataDir), { force: true });
  } catch {
    // Nothing to remove, or the directory is gone: either way the file is not there to mislead.
  }
}

/** The pid the pid file names if that process is alive; null without a file or for a dead pid. */
export function runningPid(dataDir: string): number | null {
  const pid = readPid(dataDir);
  return pid !== null && isAlive(pid) ? pid : null;
}

function readPid(dataDir: string): number | null {
  let text: string;
  try {
    text = readFileSync(pidFilePath(dataDir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
