import {
  ACCESS_KEY,
  apiBase,
  capabilities,
  parseAccess,
  readSession,
  sessionStatus,
  type AccessStatus,
  type Role,
  type StoredAccess
} from '../model/deviceAccess.js';
import type { DocSession, SessionGate, SocketClose } from '../sync/DocSession.js';
import type { Connectivity } from '../sync/connectivity.js';

/** GET /api/session is asked at most this often (refused sockets retry every few seconds). */
export const SESSION_CHECK_INTERVAL_MS = 30_000;

/** The network was down or the relay unreachable: nothing was said about access. */
export class ApiUnreachable extends Error {
  constructor() {
    super('The relay could not be reached.');
  }
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

export interface AccessOptions {
  storage: Storage;
  serverUrl: string;
  connectivity: Connectivity;
  fetch?: typeof fetch;
  /** Where other tabs' storage events arrive (the window), if any. */
  events?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
}

/**
 * This device's access to the workspace (docs/access.md): the credential it
 * holds, the role that goes with it, and whether the relay still accepts it.
 * It is the gate of every session: sessions send its credential, and stop
 * reconnecting once the relay says it is revoked or unknown.
 */
export class AccessState implements SessionGate {
  stored = $state<StoredAccess | null>(null);
  status = $state<AccessStatus>('none');
  /** The relay's reason code for a refusal (revoked, removed, invalid, missing). */
  reason = $state<string | null>(null);
  readonly role: Role | null = $derived(this.stored?.role ?? null);
  private readonly caps = $derived(capabilities(this.role, this.status));
  /** Writes documents and the index. */
  readonly canEdit: boolean = $derived(this.caps.canEdit);
  /** Writes comment rooms. */
  readonly canComment: boolean = $derived(this.caps.canComment);
  /** Makes invites and removes people. */
  readonly canShare: boolean = $derived(this.caps.canShare);
  readonly base: string;

  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- bookkeeping, never rendered
  private readonly sessions = new Set<DocSession>();
  private readonly fetcher: typeof fetch;
  private lastCheck = -Infinity;
  private checkTimer: ReturnType<typeof setTimeout> | null = null;
  private checking: Promise<void> | null = null;
  private readonly offOnline: () => void;
  private destroyed = false;

  constructor(private readonly options: AccessOptions) {
    this.base = apiBase(options.serverUrl);
    this.fetcher = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.stored = parseAccess(options.storage.getItem(ACCESS_KEY));
    this.status = this.stored ? 'unknown' : 'none';
    this.offOnline = options.connectivity.subscribe((online) => {
      // Asked once at start; a device that started offline asks when it can.
      if (online && this.status === 'unknown') void this.check();
    });
    options.events?.addEventListener('storage', this.onStorage);
    if (this.stored && options.connectivity.online) void this.check();
  }

  get credential(): string | null {
    return this.stored?.credential ?? null;
  }

  // ------------------------------------------------------------ the gate

  get params(): Record<string, string> | undefined {
    return this.stored ? { token: this.stored.credential } : undefined;
  }

  /** Sessions may connect: a credential is held and the relay has not refused it. */
  get open(): boolean {
    return this.stored !== null && this.status !== 'revoked' && this.status !== 'invalid';
  }

  attach(session: DocSession): () => void {
    this.sessions.add(session);
    const onClose = (close: SocketClose) => this.onSocketClose(close);
    const onStatus = () => {
      // The relay let this device in and answered: the credential holds.
      if (session.state.synced && this.status === 'unknown' && this.stored) {
        this.status = 'ok';
        this.reason = null;
      }
    };
    session.on('socket-close', onClose);
    session.on('status', onStatus);
    return () => {
      session.off('socket-close', onClose);
      session.off('status', onStatus);
      this.sessions.delete(session);
    };
  }

  // ------------------------------------------------------------ changes

  /** Keeps a credential the relay just issued (an invite redeemed) and connects with it. */
  adopt(access: StoredAccess): void {
    this.options.storage.setItem(ACCESS_KEY, JSON.stringify(access));
    this.apply(access);
  }

  private apply(access: StoredAccess | null): void {
    this.stored = access;
    this.status = access ? 'unknown' : 'none';
    this.reason = null;
    this.lastCheck = -Infinity;
    const params = this.params ?? {};
    for (const session of this.sessions) {
      session.setParams(params);
      session.setGate(this.open);
    }
  }

  /** Another tab joined (or left): follow it. */
  private readonly onStorage = (event: StorageEvent) => {
    if (event.key !== ACCESS_KEY) return;
    const next = parseAccess(event.newValue);
    if (next?.credential === this.stored?.credential) return;
    this.apply(next);
    if (next && this.options.connectivity.online) void this.check();
  };

  private onSocketClose(close: SocketClose): void {
    if (!this.stored || this.destroyed) return;
    // Refused at the upgrade (1006 in browsers), or closed by the access
    // policy: the relay's HTTP API says which.
    if (!close.opened || close.code === 4401 || close.code === 4403) this.scheduleCheck();
  }

  /** Asks now if the last question is old enough, else once the interval is over. */
  private scheduleCheck(): void {
    const wait = this.lastCheck + SESSION_CHECK_INTERVAL_MS - Date.now();
    if (wait <= 0) {
      void this.check();
      return;
    }
    this.checkTimer ??= setTimeout(() => {
      this.checkTimer = null;
      void this.check();
    }, wait);
  }

  /**
   * GET /api/session: whether the relay still accepts the stored credential.
   * At most once per SESSION_CHECK_INTERVAL_MS; a network failure changes
   * nothing (offline is not refused).
   */
  check(): Promise<void> {
    if (!this.stored || this.destroyed) return Promise.resolve();
    if (this.checking) return this.checking;
    if (Date.now() - this.lastCheck < SESSION_CHECK_INTERVAL_MS) return Promise.resolve();
    this.lastCheck = Date.now();
    const credential = this.stored.credential;
    this.checking = this.request('GET', '/api/session')
      .then((answer) => {
        if (this.destroyed || this.stored?.credential !== credential) return;
        const verdict = sessionStatus(answer.status, answer.body);
        if (!verdict) return;
        if (verdict.status === 'ok') {
          const session = readSession(answer.body);
          // The relay's word on the role wins over what was stored.
          if (session && this.stored && session.role !== this.stored.role) {
            const next = { ...this.stored, role: session.role };
            this.options.storage.setItem(ACCESS_KEY, JSON.stringify(next));
            this.stored = next;
          }
        }
        this.status = verdict.status;
        this.reason = verdict.reason;
        for (const session of this.sessions) session.setGate(this.open);
      })
      .catch(() => {
        // Unreachable: nothing learnt; the next refused socket asks again.
      })
      .finally(() => {
        this.checking = null;
      });
    return this.checking;
  }

  /**
   * One call to the relay's HTTP API with this device's credential. Throws
   * ApiUnreachable when offline or the relay does not answer.
   */
  async request(
    method: string,
    path: string,
    body?: unknown,
    { signedIn = true }: { signedIn?: boolean } = {}
  ): Promise<ApiAnswer> {
    if (!this.options.connectivity.online) throw new ApiUnreachable();
    const headers: Record<string, string> = { accept: 'application/json' };
    if (signedIn && this.stored) headers.authorization = `Bearer ${this.stored.credential}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetcher(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        cache: 'no-store'
      });
    } catch {
      throw new ApiUnreachable();
    }
    let parsed: unknown = null;
    try {
      parsed = await response.json();
    } catch {
      parsed = null;
    }
    return { status: response.status, body: parsed };
  }

  destroy(): void {
    this.destroyed = true;
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.offOnline();
    this.options.events?.removeEventListener('storage', this.onStorage);
  }
}
