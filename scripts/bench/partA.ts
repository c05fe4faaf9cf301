/**
 * A. Relay memory per idle loaded document, and what is left after the relay
 * unloads them.
 *
 * The documents are written through a first relay instance, which is closed
 * (that flushes every room to SQLite). A second instance on the same data
 * directory is the one measured: its baseline is taken with no room loaded,
 * so the difference is the rooms alone, not the seeding or module code.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as Y from 'yjs';
import { startServer } from '../../server/createServer.js';
import { silentLogger } from '../../server/relay/logger.js';
import { docRoom } from '../../src/lib/model/rooms.js';
import { connectClient, seedDocument, whenSynced, wsUrlOf } from './client.js';
import { bodyText, countWords, getCorpus, takeParagraphs, writeDocument } from './content.js';
import {
  envInt,
  fmtBytes,
  fmtInt,
  fmtMs,
  inBatches,
  progress,
  settledHeap,
  waitFor,
  type Row
} from './util.js';

export async function runPartA(): Promise<Row[]> {
  const docs = envInt('BENCH_DOCS', 200);
  const wordsPerDoc = envInt('BENCH_WORDS_PER_DOC', 2000);
  // Long enough for all rooms to load before the first one unloads, short
  // enough not to dominate the run.
  const idleUnloadMs = envInt('BENCH_IDLE_UNLOAD_MS', 8000);
  const concurrency = 20;
  // y-websocket adds a process 'exit' listener per provider in Node; 20 at
  // once is intended here, not a leak worth a warning.
  process.setMaxListeners(Math.max(process.getMaxListeners(), concurrency + 10));
  const dataDir = mkdtempSync(join(tmpdir(), 'driftwrite-bench-a-'));
  const corpus = getCorpus();
  const rooms = Array.from({ length: docs }, (_, i) => docRoom('main', `bench-a-${i}`));
  const rows: Row[] = [];
  const part = 'A relay memory';

  try {
    // Seed through a throwaway instance.
    progress(`A: writing ${docs} documents of ${wordsPerDoc} words through the relay`);
    const seeder = await startServer({
      // Sync mechanics only; admission is measured side by side (part E).
      insecureOpenAccess: true,
      port: 0,
      dataDir,
      logger: silentLogger,
      idleUnloadMs: 600_000
    });
    let encodedTotal = 0;
    let wordsTotal = 0;
    const seedStarted = performance.now();
    await inBatches(rooms, concurrency, async (room, i) => {
      // Different start paragraphs so the documents are not all alike.
      const paragraphs = takeParagraphs((i * 37) % corpus.paragraphs.length, wordsPerDoc);
      wordsTotal += countWords(paragraphs);
      const { encodedBytes } = await seedDocument(wsUrlOf(seeder.url), room, (doc) =>
        writeDocument(doc, `Bench document ${i}`, paragraphs)
      );
      encodedTotal += encodedBytes;
    });
    const seedMs = performance.now() - seedStarted;
    await seeder.close();

    // The measured instance.
    const server = await startServer({
      // Sync mechanics only; admission is measured side by side (part E).
      insecureOpenAccess: true,
      port: 0,
      dataDir,
      logger: silentLogger,
      idleUnloadMs
    });
    try {
      const baseline = await settledHeap();
      progress(`A: loading ${docs} rooms with connect/sync/disconnect clients`);
      const loadStarted = performance.now();
      let chars = 0;
      await inBatches(rooms, concurrency, async (room) => {
        const doc = new Y.Doc();
        const provider = connectClient(wsUrlOf(server.url), room, doc);
        await whenSynced(provider);
        chars += bodyText(doc).length;
        provider.destroy();
        doc.destroy();
      });
      await waitFor(() => server.relay.stats().connections === 0, 'relay connections to close', {
        intervalMs: 5
      });
      const lastDisconnect = performance.now();
      const loadMs = lastDisconnect - loadStarted;
      const loaded = await settledHeap();
      const stillLoaded = server.relay.stats().loadedRooms;
      if (stillLoaded !== docs) {
        rows.push({
          part,
          measure: 'WARNING',
          value: `${stillLoaded}/${docs} loaded`,
          note: 'rooms unloaded before the sample: raise BENCH_IDLE_UNLOAD_MS'
        });
      }

      progress(`A: waiting for the idle unload (${idleUnloadMs} ms)`);
      await waitFor(() => server.relay.stats().loadedRooms === 0, 'rooms to unload', {
        timeoutMs: idleUnloadMs + 60_000,
        intervalMs: 20
      });
      const unloadMs = performance.now() - lastDisconnect;
      const after = await settledHeap();

      const perDoc = (loaded.heapUsed - baseline.heapUsed) / stillLoaded;
      const externalPerDoc = (loaded.external - baseline.external) / Math.max(1, stillLoaded);
      const residual = after.heapUsed - baseline.heapUsed;
      rows.push(
        {
          part,
          measure: 'documents',
          value: fmtInt(docs),
          note: corpus.source
        },
        {
          part,
          measure: 'words / characters per document',
          value: `${fmtInt(wordsTotal / docs)} / ${fmtInt(chars / docs)}`,
          note: 'tiptap shape: body > paragraph > text, plus meta'
        },
        {
          part,
          measure: 'encoded Yjs update per document',
          value: fmtBytes(encodedTotal / docs),
          note: 'written in one transaction (lower bound vs typed docs)'
        },
        {
          part,
          measure: 'seed (write + store) all',
          value: fmtMs(seedMs),
          note: `${concurrency} clients at a time`
        },
        {
          part,
          measure: 'load all (connect, sync, disconnect)',
          value: fmtMs(loadMs)
        },
        {
          part,
          measure: 'heap baseline (relay, 0 rooms)',
          value: fmtBytes(baseline.heapUsed)
        },
        {
          part,
          measure: `heap with ${stillLoaded} idle rooms loaded`,
          value: fmtBytes(loaded.heapUsed),
          note: `rss ${fmtBytes(loaded.rss)}`
        },
        {
          part,
          measure: 'heap per loaded idle document',
          value: fmtBytes(perDoc),
          note: `${(perDoc / (encodedTotal / docs)).toFixed(1)}× its encoded size; external ${fmtBytes(externalPerDoc)}/doc`
        },
        {
          part,
          measure: 'time to unload all after last disconnect',
          value: fmtMs(unloadMs),
          note: `idleUnloadMs ${idleUnloadMs}`
        },
        {
          part,
          measure: 'heap after unload',
          value: fmtBytes(after.heapUsed),
          note: `rss ${fmtBytes(after.rss)}`
        },
        {
          part,
          measure: 'residual after unload (total / per doc)',
          value: `${fmtBytes(residual)} / ${fmtBytes(residual / docs)}`,
          note: 'after minus baseline: a few hundred KiB flat is JIT/GC noise, a leak grows with docs'
        }
      );
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}
