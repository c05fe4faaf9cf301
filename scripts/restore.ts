/**
 * npm run restore -- <file>
 *
 * Puts a backup made by `npm run backup` back as DATA_DIR/relay.sqlite (and
 * DATA_DIR/secret.key), with the relay stopped. The backup is checked first;
 * the current files are kept beside the new ones as *.before-restore-<time>.
 * Exit codes: 0 done, 1 unexpected failure, 2 bad arguments, 5 the data
 * directory cannot be written, 6 the relay is running, 7 the file is missing,
 * damaged or not a Driftwrite backup.
 */
import { EXIT_CODES, restoreStore } from '../server/store/backup.js';
import { runStoreCommand, shown } from './storeCommand.js';

runStoreCommand({
  usage: 'Usage: npm run restore -- <file>   (DATA_DIR selects the store, default ./data)',
  verb: 'restore',
  failed: 'Restore failed',
  refused: 'Restore refused',
  run({ file, dataDir }) {
    const result = restoreStore(dataDir, file);
    const taken = result.backupCreatedAt
      ? `taken ${result.backupCreatedAt}`
      : 'a plain copy of relay.sqlite';
    console.log(`Checked ${shown(result.from)}: intact, ${result.rooms} rooms, ${taken}.`);
    if (result.movedAside.length > 0) {
      console.log(`Moved the current store aside: ${result.movedAside.map(shown).join(', ')}`);
    } else {
      console.log('There was no store in the data directory before.');
    }
    console.log(`Restored ${shown(result.store)} from ${shown(result.from)}.`);
    if (result.secret === 'restored') {
      console.log(
        `Restored the signing secret to ${shown(result.secretPath)} (mode 0600)` +
          (result.secretMovedAside
            ? `; the previous one is ${shown(result.secretMovedAside)}.`
            : '.')
      );
    } else if (result.secret === 'unchanged') {
      console.log(`The signing secret in ${shown(result.secretPath)} already matched the backup.`);
    } else {
      console.log(
        `The backup holds no signing secret; ${shown(result.secretPath)} was left as it was.`
      );
    }
    console.log('Start the relay again (npm start or npm run relay).');
    return EXIT_CODES.ok;
  }
});
