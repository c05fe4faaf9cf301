/**
 * Hocuspocus 3.x with its SQLite extension, as a process of its own for the
 * side-by-side benchmark (part E): `node scripts/bench/sideBySide/hocuspocusRelay.js`
 * with PORT, HOST and DATA_DIR (the database is DATA_DIR/hocuspocus.sqlite).
 * Plain JavaScript, so its start is not charged for a TypeScript loader.
 *
 * Everything is left at Hocuspocus's defaults: onStoreDocument is debounced
 * (2 s after the last change, at most 10 s) and stores the whole document.
 */
import { join } from 'node:path';
import { Server } from '@hocuspocus/server';
import { SQLite } from '@hocuspocus/extension-sqlite';

const port = Number(process.env.PORT ?? 1234);
const host = process.env.HOST ?? '127.0.0.1';
const dataDir = process.env.DATA_DIR ?? '.';

const server = new Server({
  port,
  address: host,
  quiet: true,
  extensions: [new SQLite({ database: join(dataDir, 'hocuspocus.sqlite') })]
});

server.listen().then(
  () => console.log(JSON.stringify({ message: 'relay ready', port: server.address.port })),
  (error) => {
    console.error(`Could not start Hocuspocus: ${error instanceof Error ? error.message : error}`);
    process.exit(1);
  }
);
