/**
 * npm run backup -- <file> [--force]
 *
 * Takes a consistent copy of DATA_DIR/relay.sqlite and DATA_DIR/secret.key
 * into one file while the relay keeps running (server/store/backup.ts has the
 * format). Exit codes: 0 done, 1 unexpected failure, 2 bad arguments,
 * 3 no store (or it cannot be read), 4 the file exists (add --force),
 * 5 the destination cannot be written.
 */
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { configFromEnv } from '../server/config.js';
import { BackupError, EXIT_CODES, backupStore, formatSize } from '../server/store/backup.js';

const USAGE =
  'Usage: npm run backup -- <file> [--force]   (DATA_DIR selects the store, default ./data)';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: { force: { type: 'boolean', default: false }, help: { type: 'boolean' } }
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return EXIT_CODES.usage;
  }
  if (args.values.help) {
    console.log(USAGE);
    return EXIT_CODES.ok;
  }
  if (args.positionals.length !== 1) {
    console.error(`Give exactly one backup file to write.\n${USAGE}`);
    return EXIT_CODES.usage;
  }
  // npm runs scripts from the package root; a relative name means the caller's directory.
  const file = resolve(process.env.INIT_CWD ?? process.cwd(), args.positionals[0]);
  const { dataDir } = configFromEnv({ DATA_DIR: process.env.DATA_DIR });

  console.log(`Backing up ${shown(dataDir)}/relay.sqlite to ${shown(file)}`);
  let lastTenth = -1;
  const result = await backupStore(dataDir, file, {
    force: args.values.force,
    onProgress({ copiedPages, totalPages, restarted }) {
      if (restarted) console.log('  the store changed while copying: copying the rest at once');
      const tenth = totalPages === 0 ? 10 : Math.floor((copiedPages / totalPages) * 10);
      if (tenth > lastTenth) {
        lastTenth = tenth;
        console.log(`  ${tenth * 10}% (${copiedPages} of ${totalPages} pages)`);
      }
    }
  });
  console.log(
    `Backup written: ${shown(result.file)}, ${formatSize(result.bytes)}, ` +
      `${result.rooms} ${result.rooms === 1 ? 'room' : 'rooms'}, checked.`
  );
  if (result.secretIncluded) {
    console.log(
      'It holds the signing secret (secret.key): keep it as private as the data directory.'
    );
  } else {
    console.log('The data directory has no secret.key yet, so the backup holds the store only.');
  }
  return EXIT_CODES.ok;
}

function shown(path: string): string {
  const fromHere = relative(process.env.INIT_CWD ?? process.cwd(), path);
  return fromHere && !fromHere.startsWith('..') ? fromHere : path;
}

main().then(
  (code) => (process.exitCode = code),
  (error) => {
    console.error(`Backup failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = error instanceof BackupError ? EXIT_CODES[error.kind] : EXIT_CODES.failed;
  }
);
