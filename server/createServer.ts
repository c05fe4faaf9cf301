/**
 * One HTTP server that serves the built app (when given its handler) and the
 * relay at /sync/<room>. Returned as an object with `close()`, so tests and
 * benchmarks start as many as they like on port 0.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Relay, type AccessHooks } from './relay/Relay.js';
import type { Principal } from './auth/Access.js';
import { attachRelay } from './attachRelay.js';
import { SqliteStore } from './store/SqliteStore.js';
import type { Store } from './store/Store.js';
import { consoleLogger, type Logger } from './relay/logger.js';
import type { ServerConfig } from './config.js';
import { setSecurityHeaders } from './securityHeaders.js';
import { setStaticCacheHeaders } from './staticCache.js';
import type { RelayLimits } from './relay/limits.js';
import { Access } from './auth/Access.js';
import { SqliteAccessStore } from './auth/SqliteAccessStore.js';
import type { AccessStore } from './auth/AccessStore.js';
import { loadOrCreateSecret } from './auth/secret.js';
import { setMemberKeys } from './auth/members.js';
import { checkStoreFile, openOnFirstUse } from './openOnFirstUse.js';
import { DEFAULT_WORKSPACE_ID, indexRoom } from '../src/lib/model/rooms.js';
import { getMembersMap } from '../src/lib/model/people.js';

export type AppHandler = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export interface StartOptions extends Partial<Omit<ServerConfig, 'limits'>> {
  /** Per-client limits; each one not given keeps its default (docs/limits.md). */
  limits?: Partial<RelayLimits>;
  /** The SvelteKit adapter-node handler; without it only the relay is served. */
  appHandler?: AppHandler;
  /** Defaults to SQLite at DATA_DIR/relay.sqlite. */
  store?: Store;
  hooks?: AccessHooks;
  logger?: Logger;
  compactAfterUpdates?: number;
  /**
   * Admits every connection without a credential. Only for tests of relay
   * mechanics that have nothing to do with access; no environment variable
   * turns it on.
   */
  insecureOpenAccess?: boolean;
  /** Defaults to the same SQLite file as the documents. */
  accessStore?: AccessStore;
  workspaceId?: string;
  /** Origins allowed to open sockets besides the app's own. */
  allowedOrigins?: string[];
  /**
   * Opens the SQLite stores (those not given) when the first connection, API
   * request or room load needs them rather than at start: `npm run relay`
   * then holds no database while nobody is connected (less memory, a faster
   * start). A store file that is not a database still fails the start.
   */
  openStoresOnFirstUse?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  relay: Relay;
  store: Store;
  /** Invites, credentials and admission; null with insecureOpenAccess. */
  access: Access | null;
  /** Flushes every document, closes sockets and the store. */
  close(): Promise<void>;
}

export async function startServer(options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? consoleLogger;
  const dataDir = options.dataDir ?? './data';
  const sqlitePath = join(dataDir, 'relay.sqlite');
  const lazy = options.openStoresOnFirstUse === true;
  if (lazy) checkStoreFile(sqlitePath);
  const store =
    options.store ??
    (lazy
      ? openOnFirstUse<Store>(() => new SqliteStore(sqlitePath), { close() {} })
      : new SqliteStore(sqlitePath));
  const accessStore = options.insecureOpenAccess
    ? null
    : (options.accessStore ??
      (lazy
        ? openOnFirstUse<AccessStore>(() => new SqliteAccessStore(sqlitePath), { close() {} })
        : new SqliteAccessStore(sqlitePath)));
  const access = accessStore
    ? new Access({
        store: accessStore,
        secret: loadOrCreateSecret(dataDir).secret,
        workspaceId: options.workspaceId ?? DEFAULT_WORKSPACE_ID,
        allowedOrigins: options.allowedOrigins
      })
    : null;
  const relay = new Relay({
    store,
    logger,
    hooks: options.hooks ?? (access ? accessHooks(access) : undefined),
    idleUnloadMs: options.idleUnloadMs,
    compactAfterUpdates: options.compactAfterUpdates,
    encodeAfterQuietMs: options.encodeAfterQuietMs,
    limits: options.limits
  });
  const api = access ? lazyAccessApi(access, relay, logger) : null;
  const admit = access ? admitWith(access, relay, logger) : undefined;

  const server = createServer((req, res) => {
    // Static files, /healthz and 404s never reach SvelteKit's hook; pages replace the CSP with their full one.
    setSecurityHeaders(res);
    if (api && req.url?.startsWith('/api/')) {
      void api(req, res);
      return;
    }
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true, ...relay.stats() }));
      return;
    }
    if (options.appHandler) {
      setStaticCacheHeaders(req, res);
      options.appHandler(req, res, () => {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('Not found');
      });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('This is the sync relay: connect a y-websocket client to /sync/<room>.');
  });
  const attached = attachRelay(server, relay, {
    logger,
    maxMessageBytes: options.maxMessageBytes,
    limits: options.limits,
    exclusive: true,
    admit
  });

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    attached.detach();
    await relay.close();
    if (!options.store) await store.close();
    if (!options.accessStore) accessStore?.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new Error(
        `port ${options.port} on ${options.host ?? '127.0.0.1'} is already in use; ` +
          'stop the other server or set PORT to a free port',
        { cause: error }
      );
    }
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let closing: Promise<void> | null = null;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    relay,
    store,
    access,
    close() {
      closing ??= (async () => {
        attached.detach();
        await relay.close();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        if (!options.store) await store.close();
        if (!options.accessStore) accessStore?.close();
      })();
      return closing;
    }
  };
}

/**
 * The HTTP API under /api, loaded on its first request: it brings zod and
 * every route, which a relay that only syncs documents never needs.
 */
function lazyAccessApi(access: Access, relay: Relay, logger: Logger) {
  type Handle = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  let loading: Promise<Handle> | null = null;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    loading ??= import('./auth/api.js').then(({ createAccessApi }) =>
      createAccessApi(access, relay, logger)
    );
    let handle: Handle;
    try {
      handle = await loading;
    } catch (error) {
      loading = null;
      logger.error('api request failed', { path: req.url, error: String(error) });
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(
        JSON.stringify({
          error: 'The relay could not do that just now; try again.',
          reason: 'internal'
        })
      );
      return;
    }
    await handle(req, res);
  };
}

/** The relay's per-update decisions, from what admission left on the connection. */
export function accessHooks(access: Access): AccessHooks {
  return {
    decideUpdate(info, room, update) {
      const principal = info.principal;
      if (!principal) return { action: 'refuse', reason: 'not admitted' };
      return access.decideUpdate(principal as Principal, room, update);
    }
  };
}

/**
 * Admission at the upgrade. A script's token names a member of its own,
 * written into the member list the first time it connects.
 */
export function admitWith(access: Access, relay: Relay, logger: Logger) {
  const registered = new Set<string>();
  return async (request: IncomingMessage, room: string) => {
    const result = await access.admitUpgrade(request, room);
    if (
      result.ok &&
      result.principal.kind === 'token' &&
      !registered.has(result.principal.personId)
    ) {
      registered.add(result.principal.personId);
      const { personId, role, credentialId } = result.principal;
      const name = access.store.getCredential(credentialId)?.name ?? 'Script';
      relay
        .change(indexRoom(access.workspaceId), (doc) => {
          if (getMembersMap(doc).has(personId)) return;
          setMemberKeys(doc, personId, {
            name,
            color: '#57606a',
            timeZone: 'UTC',
            workStart: '00:00',
            workEnd: '23:59',
            workDays: [1, 2, 3, 4, 5, 6, 7],
            updatedAt: Date.now(),
            role,
            bot: true
          });
        })
        .catch((error: unknown) => {
          registered.delete(personId);
          logger.warn('could not register a script in the member list', { error: String(error) });
        });
    }
    return result;
  };
}
