/**
 * npm run backup / npm run restore (server/store/backup.ts): a consistent copy
 * of a running relay's store and signing secret, and a restore that checks the
 * file first and refuses to run beside a live relay.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import * as Y from 'yjs';
import {
  Resources,
  bodyText,
  connectProvider,
  docFromStore,
  startTestRelay,
  tempDataDir,
  whenSynced
} from '../support/relay.js';
import { waitFor } from '../support/poll.js';
import { spawnRelay } from '../support/childRelay.js';
import { joinAs } from '../support/access.js';
import { seededRandom, randomBytes } from '../support/random.js';
import { SqliteStore } from '../../server/store/SqliteStore.js';
import {
  BACKUP_FORMAT,
  BackupError,
  backupStore,
  restoreStore,
  type BackupErrorKind
} from '../../server/store/backup.js';
import { removePidFile, runningPid, writePidFile } from '../../server/store/pidFile.js';
import { storeCommand, type StoreArgs, type StoreCommand } from '../../scripts/storeCommand.js';

const resources = new Resources();
afterEach(() => resources.disposeAll());

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const ROOM = 'main.doc.backup';
const BULK_ROOM = 'main.doc.bulk';

function useDir(): string {
  return resources.add(tempDataDir(), (dir) => rmSync(dir, { recursive: true, force: true }));
}

/** Writes `texts` into `room` of the store at dataDir/relay.sqlite, one update each. */
function seedStore(dataDir: string, room: string, texts: string[]): void {
  const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
  try {
    const doc = new Y.Doc();
    doc.on('update', (update: Uint8Array) => store.append(room, update));
    for (const text of texts) doc.getText('body').insert(doc.getText('body').length, text);
    doc.destroy();
  } finally {
    store.close();
  }
}

async function storedText(dataDir: string, room: string): Promise<string> {
  const store = new SqliteStore(join(dataDir, 'relay.sqlite'));
  try {
    return (await docFromStore(store, room)).getText('body').toString();
  } finally {
    store.close();
  }
}

/** Every file in a directory with its bytes, to show that nothing was touched. */
function dirContents(dir: string): Record<string, string> {
  const contents: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    contents[name] = readFileSync(join(dir, name)).toString('base64');
  }
  return contents;
}

async function refusal(run: () => unknown): Promise<BackupError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof BackupError) return error;
    throw error;
  }
  throw new Error('expected a BackupError');
}

function expectKind(error: BackupError, kind: BackupErrorKind, message: RegExp): void {
  expect({ kind: error.kind, message: error.message }).toEqual({
    kind,
    message: expect.stringMatching(message)
  });
}

/** A client that appends `[<name><n>]` to the body every few milliseconds until disposed. */
function startWriter(wsUrl: string, name: string): { written: () => number } {
  const provider = resources.provider(connectProvider(wsUrl, ROOM));
  let n = 0;
  const timer = setInterval(() => {
    if (!provider.synced) return;
    const body = provider.doc.getText('body');
    body.insert(body.length, `[${name}${++n}]`);
  }, 3);
  resources.add(timer, clearInterval);
  return { written: () => n };
}

/** A pid that belonged to a process that has exited. */
function deadPid(): number {
  const result = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(result.stdout.toString());
}

function runNode(
  args: string[],
  env: NodeJS.ProcessEnv
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(args[0], args.slice(1), {
      cwd: repoRoot,
      env: { ...process.env, INIT_CWD: repoRoot, ...env },
      stdio: ['ignore', 'pipe', 'pipe']
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('backup and restore', () => {
  it('a backup taken while clients keep writing restores every update stored before it began', async () => {
    const relay = resources.relay(await startTestRelay({ compactAfterUpdates: 1_000_000 }));
    // A few MB in another room, so the copy takes many steps.
    seedStore(
      relay.dataDir,
      BULK_ROOM,
      Array.from({ length: 120 }, (_, i) => `${i} `.padEnd(20_000, 'x'))
    );
    const store = relay.store as SqliteStore;
    const logEntries = () => store.storedBytes(ROOM).logEntries;

    const writers = [startWriter(relay.wsUrl, 'a'), startWriter(relay.wsUrl, 'b')];
    await waitFor(() => logEntries() >= 20, { message: 'the first edits to be stored' });

    // Everything the store holds now was confirmed to its writer before the backup began.
    const before = await docFromStore(store, ROOM);
    const confirmed = Y.decodeStateVector(Y.encodeStateVector(before));
    const confirmedText = before.getText('body').toString();
    const entriesAtStart = logEntries();
    let entriesAtHalf = 0;

    const file = join(useDir(), 'driftwrite.backup');
    const result = await backupStore(relay.dataDir, file, {
      pagesPerStep: ({ copiedPages, totalPages }) => {
        // Copy half in small steps, then hold the copy until more edits are stored.
        if (copiedPages < totalPages / 2) return 8;
        entriesAtHalf ||= logEntries();
        return logEntries() < entriesAtStart + 10 ? 0 : undefined;
      }
    });
    const entriesAtEnd = logEntries();
    const writtenAtEnd = writers.map((w) => w.written());

    expect(entriesAtHalf).toBeGreaterThan(0);
    expect(entriesAtEnd).toBeGreaterThanOrEqual(entriesAtStart + 10);
    // The store changed under the copy, so SQLite started it again and it still finished.
    expect(result.restarts).toBeGreaterThan(0);
    expect(result).toMatchObject({ file, rooms: 2, secretIncluded: false });
    expect(result.bytes).toBe(statSync(file).size);
    expect(result.bytes).toBeGreaterThan(2_000_000);
    // Writes went on through the backup and after it.
    await waitFor(() => writers.every((w, i) => w.written() > writtenAtEnd[i] + 3), {
      message: 'the writers to go on writing after the backup'
    });

    const restoredDir = useDir();
    const restored = restoreStore(restoredDir, file);
    expect(restored).toMatchObject({ rooms: 2, movedAside: [], secret: 'not-in-backup' });

    const second = resources.relay(await startTestRelay({ dataDir: restoredDir }));
    const reader = resources.provider(connectProvider(second.wsUrl, ROOM));
    await whenSynced(reader);
    const restoredVector = Y.decodeStateVector(Y.encodeStateVector(reader.doc));
    for (const [client, clock] of confirmed) {
      expect(restoredVector.get(client) ?? 0).toBeGreaterThanOrEqual(clock);
    }
    const text = bodyText(reader);
    for (const token of confirmedText.match(/\[[ab]\d+\]/g) ?? []) expect(text).toContain(token);
    expect(confirmedText.length).toBeGreaterThan(0);
    expect(text.length).toBeGreaterThanOrEqual(confirmedText.length);

    const bulk = resources.provider(connectProvider(second.wsUrl, BULK_ROOM));
    await whenSynced(bulk);
    expect(bodyText(bulk)).toHaveLength(120 * 20_000);
  });

  it('restores the signing secret with mode 0600 and keeps the previous store and secret aside', async () => {
    const source = useDir();
    seedStore(source, ROOM, ['Decision: ', 'ship on Thursday.']);
    const secret = randomBytes(seededRandom(11), 32);
    writeFileSync(join(source, 'secret.key'), secret, { mode: 0o600 });

    const file = join(useDir(), 'nightly.backup');
    const result = await backupStore(source, file);
    expect(result.secretIncluded).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const meta = resources.add(new Database(file, { readonly: true }), (db) => db.close());
    expect(meta.prepare("SELECT value FROM backup_meta WHERE key = 'format'").pluck().get()).toBe(
      BACKUP_FORMAT
    );
    meta.close();

    const target = useDir();
    seedStore(target, ROOM, ['Something else entirely.']);
    const otherSecret = Buffer.from('the secret of the other server');
    writeFileSync(join(target, 'secret.key'), otherSecret, { mode: 0o600 });
    const previousStore = readFileSync(join(target, 'relay.sqlite'));

    const restored = restoreStore(target, file, { now: new Date('2030-01-02T03:04:05.678Z') });
    const stamp = '2030-01-02T03-04-05Z';
    expect(restored).toMatchObject({
      rooms: 1,
      backupCreatedAt: result.createdAt,
      movedAside: [join(target, `relay.sqlite.before-restore-${stamp}`)],
      secret: 'restored',
      secretMovedAside: join(target, `secret.key.before-restore-${stamp}`)
    });

    const restoredSecret = join(target, 'secret.key');
    expect(readFileSync(restoredSecret).equals(Buffer.from(secret))).toBe(true);
    expect(statSync(restoredSecret).mode & 0o777).toBe(0o600);
    expect(readFileSync(restored.secretMovedAside!).equals(otherSecret)).toBe(true);
    expect(readFileSync(restored.movedAside[0]).equals(previousStore)).toBe(true);
    expect(await storedText(target, ROOM)).toBe('Decision: ship on Thursday.');

    // The secret lives in secret.key only: the restored store holds no trace of it.
    const store = readFileSync(join(target, 'relay.sqlite'));
    expect(store.includes(Buffer.from(secret))).toBe(false);
    const db = resources.add(new Database(join(target, 'relay.sqlite'), { readonly: true }), (d) =>
      d.close()
    );
    expect(
      db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'backup_meta'").pluck().get()
    ).toBe(0);
  });

  it('a device credential issued before the backup still admits after a restore elsewhere', async () => {
    const relay = resources.relay(await startTestRelay({ insecureOpenAccess: false }));
    const ada = await joinAs(relay, 'editor', 'Ada');
    const writer = resources.provider(
      connectProvider(relay.wsUrl, ROOM, undefined, { token: ada.credential })
    );
    await whenSynced(writer);
    writer.doc.getText('body').insert(0, 'Signed in before the backup.');
    await waitFor(
      async () => (await docFromStore(relay.store, ROOM)).getText('body').toString().length > 0,
      { message: 'the edit to be stored' }
    );
    const file = join(useDir(), 'access.backup');
    expect((await backupStore(relay.dataDir, file)).secretIncluded).toBe(true);

    const restoredDir = useDir();
    expect(restoreStore(restoredDir, file).secret).toBe('restored');
    expect(readFileSync(join(restoredDir, 'secret.key'))).toEqual(
      readFileSync(join(relay.dataDir, 'secret.key'))
    );
    const second = resources.relay(
      await startTestRelay({ dataDir: restoredDir, insecureOpenAccess: false })
    );
    const reader = resources.provider(
      connectProvider(second.wsUrl, ROOM, undefined, { token: ada.credential })
    );
    await whenSynced(reader);
    expect(bodyText(reader)).toBe('Signed in before the backup.');
  });

  it('refuses to restore while a relay uses the data directory', async () => {
    const source = useDir();
    seedStore(source, ROOM, ['from the backup']);
    const file = join(useDir(), 'relay.backup');
    await backupStore(source, file);

    const target = useDir();
    seedStore(target, ROOM, ['live']);
    const untouched = dirContents(target);

    // relay.pid naming a live process (this one stands in for the relay).
    writePidFile(target, process.pid);
    expect(runningPid(target)).toBe(process.pid);
    const named = await refusal(() => restoreStore(target, file));
    expectKind(named, 'running', new RegExp(`process ${process.pid}.*relay\\.pid`));
    expect(dirContents(target)).toEqual({ ...untouched, 'relay.pid': expect.any(String) });

    // A relay with the store open but no pid file (tests, npm run dev).
    removePidFile(target, process.pid);
    expect(existsSync(join(target, 'relay.pid'))).toBe(false);
    const relay = resources.relay(await startTestRelay({ dataDir: target }));
    const open = await refusal(() => restoreStore(target, file));
    expectKind(open, 'running', /is open in another process/);
    await relay.stop();

    // A pid file left by a relay killed with SIGKILL names a dead process: the restore goes ahead.
    writePidFile(target, deadPid());
    expect(runningPid(target)).toBeNull();
    expect(restoreStore(target, file).movedAside).toHaveLength(1);
    expect(await storedText(target, ROOM)).toBe('from the backup');
  });

  it('the relay process writes relay.pid when it starts and removes it when it stops cleanly', async () => {
    const dataDir = useDir();
    seedStore(dataDir, ROOM, ['live']);
    const file = join(useDir(), 'relay.backup');
    await backupStore(dataDir, file);

    const relay = resources.add(await spawnRelay(dataDir), (r) => r.stop('SIGKILL'));
    expect(readFileSync(join(dataDir, 'relay.pid'), 'utf8').trim()).toBe(String(relay.child.pid));
    expect(runningPid(dataDir)).toBe(relay.child.pid);
    expectKind(
      await refusal(() => restoreStore(dataDir, file)),
      'running',
      new RegExp(`The relay is running \\(process ${relay.child.pid}, named in .*relay\\.pid\\)`)
    );

    expect(await relay.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dataDir, 'relay.pid'))).toBe(false);
    expect(restoreStore(dataDir, file).movedAside).toHaveLength(1);
  });

  it('refuses a damaged, foreign or missing file and leaves the live store untouched', async () => {
    const live = useDir();
    seedStore(live, ROOM, ['the live document']);
    writeFileSync(join(live, 'secret.key'), 'live secret', { mode: 0o600 });
    const untouched = dirContents(live);
    const files = useDir();

    const source = useDir();
    seedStore(
      source,
      ROOM,
      Array.from({ length: 40 }, (_, i) => `paragraph ${i} `.padEnd(400, '.'))
    );
    const damaged = join(files, 'damaged.backup');
    await backupStore(source, damaged);
    // Overwrite the header of every b-tree page after the schema with garbage.
    const bytes = readFileSync(damaged);
    const pageSize = bytes.readUInt16BE(16);
    for (let page = 1; page * pageSize < bytes.length; page++) {
      bytes.fill(0xee, page * pageSize, page * pageSize + 12);
    }
    writeFileSync(damaged, bytes);

    const garbage = join(files, 'garbage.backup');
    writeFileSync(garbage, randomBytes(seededRandom(3), 8192));

    const foreign = join(files, 'foreign.sqlite');
    const db = new Database(foreign);
    db.exec('CREATE TABLE notes (body TEXT)');
    db.close();

    const cases: [string, RegExp][] = [
      [damaged, /damaged\.backup is damaged: .*nothing was changed/],
      [garbage, /garbage\.backup is not a readable SQLite database .*nothing was changed/],
      [foreign, /foreign\.sqlite is not a Driftwrite backup: it has no snapshots or updates table/],
      [join(files, 'missing.backup'), /Cannot read .*missing\.backup \(no such file or directory\)/]
    ];
    for (const [file, message] of cases) {
      expectKind(await refusal(() => restoreStore(live, file)), 'bad-backup', message);
      expect(dirContents(live)).toEqual(untouched);
    }
    expect(await storedText(live, ROOM)).toBe('the live document');
  });

  it('a backup never overwrites without force, says what is missing, and leaves no partial file', async () => {
    const dataDir = useDir();
    const out = useDir();
    expectKind(
      await refusal(() => backupStore(dataDir, join(out, 'a.backup'))),
      'no-store',
      /There is no store at .*relay\.sqlite, so there is nothing to back up/
    );

    seedStore(dataDir, ROOM, ['first']);
    const file = join(out, 'a.backup');
    await backupStore(dataDir, file);
    const first = readFileSync(file);
    seedStore(dataDir, ROOM, ['second']);
    expectKind(
      await refusal(() => backupStore(dataDir, file)),
      'exists',
      /a\.backup already exists; nothing was written.*--force/
    );
    expect(readFileSync(file).equals(first)).toBe(true);
    await backupStore(dataDir, file, { force: true });
    expect(readFileSync(file).equals(first)).toBe(false);

    writeFileSync(join(out, 'plain-file'), 'not a directory');
    expectKind(
      await refusal(() => backupStore(dataDir, join(out, 'plain-file', 'b.backup'))),
      'unwritable',
      /Cannot write the backup in .*plain-file \(a part of the path is a file, not a directory\)/
    );
    expectKind(
      await refusal(() => backupStore(dataDir, join(out, 'no-such-dir', 'b.backup'))),
      'unwritable',
      /no-such-dir \(no such file or directory\)/
    );
    mkdirSync(join(out, 'a-directory'));
    expectKind(
      await refusal(() => backupStore(dataDir, join(out, 'a-directory'), { force: true })),
      'unwritable',
      /a-directory is a directory/
    );
    expect(readdirSync(out).sort()).toEqual(['a-directory', 'a.backup', 'plain-file']);
  });

  it('npm run backup copies a running relay and npm run restore refuses beside it', async () => {
    const relay = resources.relay(await startTestRelay());
    const writer = resources.provider(connectProvider(relay.wsUrl, ROOM));
    await whenSynced(writer);
    writer.doc.getText('body').insert(0, 'Backed up from the command line.');
    await waitFor(
      async () => (await docFromStore(relay.store, ROOM)).getText('body').toString().length > 0,
      { message: 'the edit to be stored' }
    );
    const secret = Buffer.from('command line secret');
    writeFileSync(join(relay.dataDir, 'secret.key'), secret, { mode: 0o600 });

    const file = join(useDir(), 'cli.backup');
    const env = { DATA_DIR: relay.dataDir };
    const backup = await runNode(['npm', 'run', 'backup', '--', file], env);
    expect(backup.stderr + backup.stdout).toContain('Backup written');
    expect(backup.code).toBe(0);
    const size = statSync(file).size;
    expect(backup.stdout).toContain('100% (');
    expect(backup.stdout).toContain(`(${size.toLocaleString('en-US')} bytes), 1 room, checked`);
    expect(backup.stdout).toContain('It holds the signing secret');

    const [again, restore] = await Promise.all([
      runNode([process.execPath, '--import', 'tsx', 'scripts/backup.ts', file], env),
      runNode([process.execPath, '--import', 'tsx', 'scripts/restore.ts', file], env)
    ]);
    expect(again.code).toBe(4);
    expect(again.stderr).toMatch(/already exists; nothing was written/);
    expect(restore.code).toBe(6);
    expect(restore.stderr).toMatch(/Restore refused: The store .* is open in another process/);

    await relay.stop();
    const target = useDir();
    const restored = await runNode(
      [process.execPath, '--import', 'tsx', 'scripts/restore.ts', file],
      { DATA_DIR: target }
    );
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('Restored the signing secret');
    expect(readFileSync(join(target, 'secret.key')).equals(secret)).toBe(true);
    expect(await storedText(target, ROOM)).toBe('Backed up from the command line.');
  });
});

describe('the backup and restore command lines', () => {
  function recorder() {
    const lines = { log: [] as string[], error: [] as string[] };
    return {
      lines,
      out: {
        log: (line: string) => lines.log.push(line),
        error: (l: string) => lines.error.push(l)
      }
    };
  }

  function command(run: StoreCommand['run'] = () => 0): StoreCommand {
    return {
      usage: 'Usage: npm run try -- <file>',
      verb: 'try',
      flags: ['force'],
      failed: 'Try failed',
      refused: 'Try refused',
      run
    };
  }

  it('answers a wrong use with a sentence, the usage line and exit code 2, without running', async () => {
    let runs = 0;
    const counted = command(() => ++runs && 0);
    for (const [argv, sentence] of [
      [[], 'Give exactly one backup file to try.'],
      [['a', 'b'], 'Give exactly one backup file to try.'],
      [['a', '--forse'], "Unknown option '--forse'"]
    ] as const) {
      const { lines, out } = recorder();
      expect(await storeCommand(counted, [...argv], out), argv.join(' ')).toBe(2);
      expect(lines.error.join('\n')).toContain(sentence);
      expect(lines.error.join('\n')).toMatch(/\nUsage: npm run try -- <file>$/);
    }
    const help = recorder();
    expect(await storeCommand(counted, ['--help'], help.out)).toBe(0);
    expect(help.lines).toEqual({ log: ['Usage: npm run try -- <file>'], error: [] });
    expect(runs).toBe(0);
  });

  it('runs with the file from where npm was run, the store in DATA_DIR and the flags', async () => {
    const seen: StoreArgs[] = [];
    const run = (force: string[]) =>
      storeCommand(
        command((args) => seen.push(args) && 0),
        ['some.backup', ...force]
      );
    const { INIT_CWD, DATA_DIR } = process.env;
    process.env.INIT_CWD = '/somewhere';
    process.env.DATA_DIR = '/var/lib/driftwrite';
    try {
      expect(await run([])).toBe(0);
      expect(await run(['--force'])).toBe(0);
    } finally {
      restoreEnv('INIT_CWD', INIT_CWD);
      restoreEnv('DATA_DIR', DATA_DIR);
    }
    expect(seen).toEqual([
      { file: '/somewhere/some.backup', dataDir: '/var/lib/driftwrite', flags: { force: false } },
      { file: '/somewhere/some.backup', dataDir: '/var/lib/driftwrite', flags: { force: true } }
    ]);
  });

  it('answers a refusal with the exit code of its kind and anything else with 1', async () => {
    const refused = recorder();
    const refusal = command(() => {
      throw new BackupError('exists', 'x.backup already exists');
    });
    expect(await storeCommand(refusal, ['x.backup'], refused.out)).toBe(4);
    expect(refused.lines.error).toEqual(['Try refused: x.backup already exists']);
    const failed = recorder();
    const failure = command(async () => {
      throw new Error('disk on fire');
    });
    expect(await storeCommand(failure, ['x.backup'], failed.out)).toBe(1);
    expect(failed.lines.error).toEqual(['Try failed: disk on fire']);
  });

  it.each(['backup', 'restore'])('npm run %s: a usage error exits with 2', async (name) => {
    const result = await runNode([process.execPath, '--import', 'tsx', `scripts/${name}.ts`], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`Usage: npm run ${name} -- <file>`);
    expect(result.stdout).toBe('');
  });
});

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}
