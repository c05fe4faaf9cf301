/**
 * What the sync status indicator says, as a pure function of a session's
 * state, so every wording is unit-tested and the same on every page.
 */

import { CLOSE } from './protocol.js';

export type ConnectionState = 'disconnected' | 'connecting' | 'connected';

export interface SyncState {
  /** The browser believes it has a network. */
  network: boolean;
  connection: ConnectionState;
  /** The relay's first answer has been received on this connection. */
  synced: boolean;
  /** The copy on this device has been read (IndexedDB). */
  localLoaded: boolean;
  /** Local edits (transactions, one per keystroke) the relay has not confirmed storing yet. */
  pendingEdits: number;
  /**
   * The same edits as a person counts them: a burst of typing is one change
   * (DocSession groups edits less than a second apart). What the status shows.
   */
  pendingChanges: number;
  /** The relay refused this device for good (access denied, etc.). */
  refused: { code: number; reason: string } | null;
  /** This device could not open or write its local store (out of space, broken); new edits live only in memory. */
  storageError: string | null;
}

export type StatusTone = 'ok' | 'busy' | 'warn' | 'error';

export interface StatusView {
  tone: StatusTone;
  /** A few words for the status pill. */
  label: string;
  /** One sentence saying where the user's work is. */
  detail: string;
}

export const INITIAL_SYNC_STATE: SyncState = {
  network: true,
  connection: 'disconnected',
  synced: false,
  localLoaded: false,
  pendingEdits: 0,
  pendingChanges: 0,
  refused: null,
  storageError: null
};

export function plural(count: number, one: string, many: string = one + 's'): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Adds up several sessions (a page shows the document and the workspace list). */
export function combineSyncStates(states: SyncState[]): SyncState {
  if (states.length === 0) return INITIAL_SYNC_STATE;
  const rank: Record<ConnectionState, number> = { disconnected: 0, connecting: 1, connected: 2 };
  return states.reduce((a, b) => ({
    network: a.network && b.network,
    connection: rank[a.connection] <= rank[b.connection] ? a.connection : b.connection,
    synced: a.synced && b.synced,
    localLoaded: a.localLoaded && b.localLoaded,
    pendingEdits: a.pendingEdits + b.pendingEdits,
    pendingChanges: a.pendingChanges + b.pendingChanges,
    refused: a.refused ?? b.refused,
    storageError: a.storageError ?? b.storageError
  }));
}

/** Plain words for why the relay closed a connection for good. */
export function describeRefusal(refused: { code: number; reason: string }): string {
  switch (refused.code) {
    case 1009:
      return 'an edit on this device is larger than the relay accepts in one message';
    case 1007:
    case 1003:
      return `the relay could not read what this device sent${refused.reason ? `: ${refused.reason}` : ''}`;
    case CLOSE.forbidden:
      // The write policy's own words name ids and paths; people need the rule.
      if (refused.reason.startsWith('ownership refused')) {
        return (
          'this device holds a change to something another person wrote (only its author may ' +
          'change it, and nothing is ever removed), so the relay kept none of it and nobody else saw it'
        );
      }
      return refused.reason || 'this device may not make that change';
    default:
      return refused.reason || `closed with code ${refused.code}`;
  }
}

/**
 * The coarse situation a screen reader is told about. Typing flips a session
 * between "syncing" and "synced" every second; only changes between these
 * are worth announcing.
 */
export type SyncSituation = 'refused' | 'storage' | 'loading' | 'offline' | 'online';

export function syncSituation(state: SyncState): SyncSituation {
  if (state.refused) return 'refused';
  if (state.storageError) return 'storage';
  if (!state.localLoaded) return 'loading';
  if (!state.network || state.connection === 'disconnected') return 'offline';
  return 'online';
}

export function describeSyncState(state: SyncState): StatusView {
  // What the person counts: changes (bursts of typing), never fewer than one
  // while anything at all is unconfirmed.
  const pending = state.pendingEdits > 0 ? Math.max(1, state.pendingChanges) : 0;
  const pendingWords = plural(pending, 'change');
  if (state.refused) {
    return {
      tone: 'error',
      label: 'Not syncing',
      detail:
        `The relay stopped syncing this document: ${describeRefusal(state.refused)}.` +
        (pending > 0
          ? ` ${pendingWords} ${pending === 1 ? 'is' : 'are'} kept on this device only.`
          : '')
    };
  }
  if (state.storageError) {
    return {
      tone: 'error',
      label: 'Not stored on this device',
      detail:
        `This browser cannot keep new edits in its local store (${state.storageError}); what it stored before is kept. ` +
        'Edits reach the relay while you are online, but closing this tab offline would lose them.'
    };
  }
  if (!state.localLoaded) {
    return { tone: 'busy', label: 'Opening…', detail: 'Reading the copy stored on this device.' };
  }
  if (!state.network || state.connection === 'disconnected') {
    return {
      tone: pending > 0 ? 'warn' : 'ok',
      label: pending > 0 ? `Offline · ${plural(pending, 'unsynced change')}` : 'Offline',
      detail:
        pending > 0
          ? `You are offline. ${pendingWords} saved on this device only; ${pending === 1 ? 'it syncs' : 'they sync'} when you reconnect.`
          : 'You are offline. Everything here is saved on this device; keep working.'
    };
  }
  if (state.connection === 'connecting' || !state.synced) {
    return {
      tone: 'busy',
      label: pending > 0 ? `Connecting · ${plural(pending, 'unsynced change')}` : 'Connecting…',
      detail:
        pending > 0
          ? `Reaching the relay. ${pendingWords} not on the relay yet, saved on this device.`
          : 'Reaching the relay. Everything is saved on this device.'
    };
  }
  if (pending > 0) {
    return {
      tone: 'busy',
      label: `Syncing ${plural(pending, 'change')}…`,
      detail: `${pendingWords} not yet confirmed by the relay; saved on this device meanwhile.`
    };
  }
  return {
    tone: 'ok',
    label: 'Synced',
    detail: 'Online. Every edit on this device is stored on the relay.'
  };
}

/** Said when the relay is reachable again after an offline period. */
export const BACK_ONLINE = 'Back online. Edits sync to the relay again.';

/**
 * What a screen reader is told as the sync states move: changes of situation
 * only, and "Back online" only after an actual offline period. Read per
 * session: a page adds sessions as it goes (a document opened from the list,
 * the threads behind My queue), each loaded a moment before it connects,
 * which over the combined state looks like the page losing the relay. A
 * session that has not reached the relay yet is starting, not offline,
 * unless the browser has no network; opening the app says nothing.
 */
export class SyncAnnouncer {
  private last: SyncSituation | null = null;
  private readonly reachedRelay = new WeakSet<object>();

  /** The sentence to announce for the sessions' states (keyed by session), or null. */
  next(sessions: ReadonlyMap<object, SyncState>): string | null {
    const counted: SyncState[] = [];
    for (const [session, state] of sessions) {
      if (state.connection === 'connected') this.reachedRelay.add(session);
      const starting =
        syncSituation(state) === 'offline' && state.network && !this.reachedRelay.has(session);
      if (!starting) counted.push(state);
    }
    const state = combineSyncStates(counted);
    const current = syncSituation(state);
    if (current === 'loading') return null;
    const previous = this.last;
    this.last = current;
    if (previous === current) return null;
    if (current === 'online') return previous === 'offline' ? BACK_ONLINE : null;
    // The situation the page opens in is on screen already (the offline note).
    if (previous === null && current === 'offline') return null;
    return describeSyncState(state).detail;
  }
}
