// `npm run relay`: the relay alone, compiled (scripts/buildServer.js) when its
// sources changed, then run with plain node in this process, so signals
// reach it directly.
import { buildServerIfStale } from './buildServer.js';

await buildServerIfStale();
await import(new URL('../dist/server/relayMain.js', import.meta.url).href);
