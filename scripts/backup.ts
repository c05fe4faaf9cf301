/**
 * npm run backup -- <file> [--force]
 *
 * Takes a consistent copy of DATA_DIR/relay.sqlite and DATA_DIR/secret.key
 * into one file while the relay keeps running (server/store/backup.ts has the
 * format). Exit codes: 0 done, 1 unexpected failure, 2 bad arguments,
 * 3 no store (or it cannot be read), 4 the file exists (add --force),
 * 5 the destination cannot be written.
 */
import { EXIT_CODES, backupStore, formatSize } from '../server/store/backup.js';
import { runStoreCommand, shown } from './storeCommand.js';

runStoreCommand({
  usage: 'Usage: npm run backup -- <file> [--force]   (DATA_DIR selects the store, default ./data)',
  verb: 'write',
  flags: ['force'],
  failed: 'Backup failed',
  async run({ file, dataDir, flags }) {
    console.log(`Backing up ${shown(dataDir)}/relay.sqlite to ${shown(file)}`);
    let lastTenth = -1;
    const result = await backupStore(dataDir, file, {
      force: flags.force,
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
});
