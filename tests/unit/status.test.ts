import { describe, expect, it } from 'vitest';
import {
  combineSyncStates,
  describeSyncState,
  syncSituation,
  BACK_ONLINE,
  INITIAL_SYNC_STATE,
  SyncAnnouncer,
  plural,
  type SyncState
} from '../../src/lib/model/status.js';

/** A session that has loaded its local copy and is fully synced; tests change one thing. */
function state(overrides: Partial<SyncState> = {}): SyncState {
  return {
    network: true,
    connection: 'connected',
    synced: true,
    localLoaded: true,
    pendingEdits: 0,
    // One change per edit unless a test says otherwise.
    pendingChanges: overrides.pendingEdits ?? 0,
    refused: null,
    storageError: null,
    ...overrides
  };
}

describe('plural', () => {
  it('uses the singular only for exactly one', () => {
    expect(plural(0, 'edit')).toBe('0 edits');
    expect(plural(1, 'edit')).toBe('1 edit');
    expect(plural(2, 'edit')).toBe('2 edits');
  });

  it('takes an irregular plural', () => {
    expect(plural(1, 'reply', 'replies')).toBe('1 reply');
    expect(plural(3, 'reply', 'replies')).toBe('3 replies');
  });
});

describe('describeSyncState', () => {
  it('starts as "Opening…"', () => {
    expect(describeSyncState(INITIAL_SYNC_STATE)).toEqual({
      tone: 'busy',
      label: 'Opening…',
      detail: 'Reading the copy stored on this device.'
    });
  });

  describe('refused', () => {
    const refused = { code: 4403, reason: 'access denied' };

    it('says why, before anything else (even before the local copy is read)', () => {
      expect(describeSyncState(state({ refused, localLoaded: false }))).toEqual({
        tone: 'error',
        label: 'Not syncing',
        detail: 'The relay stopped syncing this document: access denied.'
      });
    });

    it('falls back to plain words when there is no reason', () => {
      expect(describeSyncState(state({ refused: { code: 4403, reason: '' } })).detail).toBe(
        'The relay stopped syncing this document: this device may not make that change.'
      );
      expect(describeSyncState(state({ refused: { code: 4999, reason: '' } })).detail).toBe(
        'The relay stopped syncing this document: closed with code 4999.'
      );
    });

    it('says an ownership refusal as the rule, not the policy’s ids and paths', () => {
      const ownership = {
        code: 4403,
        reason: 'ownership refused: threads.HXkw3.comments[].text cannot be changed by this person'
      };
      const detail = describeSyncState(state({ refused: ownership })).detail;
      expect(detail).toBe(
        'The relay stopped syncing this document: this device holds a change to something ' +
          'another person wrote (only its author may change it, and nothing is ever removed), ' +
          'so the relay kept none of it and nobody else saw it.'
      );
      expect(detail).not.toContain('HXkw3');
    });

    it('says where unsynced edits are', () => {
      expect(describeSyncState(state({ refused, pendingEdits: 3 })).detail).toBe(
        'The relay stopped syncing this document: access denied. 3 changes are kept on this device only.'
      );
    });

    it('agrees the verb with a single edit', () => {
      expect(describeSyncState(state({ refused, pendingEdits: 1 })).detail).toBe(
        'The relay stopped syncing this document: access denied. 1 change is kept on this device only.'
      );
    });

    it('wins over offline', () => {
      const view = describeSyncState(state({ refused, network: false }));
      expect(view.label).toBe('Not syncing');
    });
  });

  it('"Opening…" while the local copy is being read, whatever the connection', () => {
    for (const connection of ['disconnected', 'connecting', 'connected'] as const) {
      expect(describeSyncState(state({ localLoaded: false, connection })).label).toBe('Opening…');
    }
  });

  describe('refusal reasons', () => {
    it('explains an oversized edit in plain words', () => {
      expect(describeSyncState(state({ refused: { code: 1009, reason: '' } })).detail).toBe(
        'The relay stopped syncing this document: an edit on this device is larger than the relay accepts in one message.'
      );
    });

    it('explains unreadable data with the relay’s reason', () => {
      expect(
        describeSyncState(state({ refused: { code: 1007, reason: 'update could not be applied' } }))
          .detail
      ).toContain('could not read what this device sent: update could not be applied');
    });
  });

  describe('storage error', () => {
    it('warns that edits are not kept on this device, over every network state', () => {
      for (const network of [true, false]) {
        const view = describeSyncState(
          state({ storageError: 'QuotaExceededError', network, localLoaded: true })
        );
        expect(view.tone).toBe('error');
        expect(view.label).toBe('Not stored on this device');
        expect(view.detail).toContain('QuotaExceededError');
      }
    });

    it('comes after a refusal', () => {
      const view = describeSyncState(
        state({ storageError: 'blocked', refused: { code: 4403, reason: 'no access' } })
      );
      expect(view.label).toBe('Not syncing');
    });
  });

  describe('offline', () => {
    it('without pending edits: ok, keep working', () => {
      expect(describeSyncState(state({ connection: 'disconnected', synced: false }))).toEqual({
        tone: 'ok',
        label: 'Offline',
        detail: 'You are offline. Everything here is saved on this device; keep working.'
      });
    });

    it('with pending edits: a warning that counts them', () => {
      expect(
        describeSyncState(state({ connection: 'disconnected', synced: false, pendingEdits: 4 }))
      ).toEqual({
        tone: 'warn',
        label: 'Offline · 4 unsynced changes',
        detail:
          'You are offline. 4 changes saved on this device only; they sync when you reconnect.'
      });
    });

    it('with one pending edit: singular', () => {
      const view = describeSyncState(state({ connection: 'disconnected', pendingEdits: 1 }));
      expect(view.label).toBe('Offline · 1 unsynced change');
      expect(view.detail).toMatch(/^You are offline\. 1 change saved on this device only;/);
    });

    it('when the browser reports no network, even if the socket still looks connected', () => {
      // navigator.onLine flips before the socket notices; trust it first.
      expect(describeSyncState(state({ network: false })).label).toBe('Offline');
      expect(describeSyncState(state({ network: false, pendingEdits: 2 })).tone).toBe('warn');
    });
  });

  it('counts changes as a person makes them, not keystrokes', () => {
    // One 44-character sentence typed in one go: 45 transactions, one change.
    const offline = state({ connection: 'disconnected', pendingEdits: 45, pendingChanges: 1 });
    expect(describeSyncState(offline).label).toBe('Offline · 1 unsynced change');
    expect(describeSyncState(state({ pendingEdits: 45, pendingChanges: 2 })).label).toBe(
      'Syncing 2 changes…'
    );
    // Anything unconfirmed is at least one change.
    expect(describeSyncState(state({ pendingEdits: 3, pendingChanges: 0 })).label).toBe(
      'Syncing 1 change…'
    );
  });

  describe('connecting', () => {
    it('while the socket opens', () => {
      expect(describeSyncState(state({ connection: 'connecting', synced: false }))).toEqual({
        tone: 'busy',
        label: 'Connecting…',
        detail: 'Reaching the relay. Everything is saved on this device.'
      });
    });

    it('while connected but before the first sync answer', () => {
      expect(describeSyncState(state({ connection: 'connected', synced: false })).label).toBe(
        'Connecting…'
      );
    });

    it('with pending edits', () => {
      expect(describeSyncState(state({ connection: 'connecting', pendingEdits: 2 }))).toEqual({
        tone: 'busy',
        label: 'Connecting · 2 unsynced changes',
        detail: 'Reaching the relay. 2 changes not on the relay yet, saved on this device.'
      });
      expect(describeSyncState(state({ synced: false, pendingEdits: 1 })).label).toBe(
        'Connecting · 1 unsynced change'
      );
    });
  });

  describe('connected and synced', () => {
    it('syncing while the relay has not confirmed every edit', () => {
      expect(describeSyncState(state({ pendingEdits: 5 }))).toEqual({
        tone: 'busy',
        label: 'Syncing 5 changes…',
        detail: '5 changes not yet confirmed by the relay; saved on this device meanwhile.'
      });
      expect(describeSyncState(state({ pendingEdits: 1 }))).toEqual({
        tone: 'busy',
        label: 'Syncing 1 change…',
        detail: '1 change not yet confirmed by the relay; saved on this device meanwhile.'
      });
    });

    it('synced when nothing is pending', () => {
      expect(describeSyncState(state())).toEqual({
        tone: 'ok',
        label: 'Synced',
        detail: 'Online. Every edit on this device is stored on the relay.'
      });
    });
  });
});

describe('combineSyncStates', () => {
  it('gives the initial state for no sessions', () => {
    expect(combineSyncStates([])).toEqual(INITIAL_SYNC_STATE);
  });

  it('gives a single session unchanged', () => {
    const one = state({ pendingEdits: 2, connection: 'connecting' });
    expect(combineSyncStates([one])).toEqual(one);
  });

  it('reports the weakest connection and sums pending edits', () => {
    const combined = combineSyncStates([
      state({ pendingEdits: 1 }),
      state({ connection: 'connecting', synced: false, pendingEdits: 2 }),
      state({ pendingEdits: 3 })
    ]);
    expect(combined).toEqual({
      network: true,
      connection: 'connecting',
      synced: false,
      localLoaded: true,
      pendingEdits: 6,
      pendingChanges: 6,
      refused: null,
      storageError: null
    });
    expect(describeSyncState(combined).label).toBe('Connecting · 6 unsynced changes');
  });

  it('is disconnected if any session is, whatever the order', () => {
    const states = [
      state(),
      state({ connection: 'disconnected' }),
      state({ connection: 'connecting' })
    ];
    for (let shift = 0; shift < states.length; shift++) {
      const rotated = [...states.slice(shift), ...states.slice(0, shift)];
      expect(combineSyncStates(rotated).connection).toBe('disconnected');
    }
  });

  it('is loaded, synced and online only if every session is', () => {
    expect(combineSyncStates([state(), state({ localLoaded: false })]).localLoaded).toBe(false);
    expect(combineSyncStates([state({ synced: false }), state()]).synced).toBe(false);
    expect(combineSyncStates([state(), state({ network: false })]).network).toBe(false);
    expect(
      describeSyncState(combineSyncStates([state(), state({ localLoaded: false })])).label
    ).toBe('Opening…');
  });

  it('keeps the first refusal', () => {
    const first = { code: 4403, reason: 'index denied' };
    const second = { code: 4403, reason: 'doc denied' };
    expect(combineSyncStates([state(), state({ refused: first })]).refused).toBe(first);
    expect(combineSyncStates([state({ refused: first }), state({ refused: second })]).refused).toBe(
      first
    );
  });

  it('does not mutate its inputs', () => {
    const a = state({ pendingEdits: 1 });
    const b = state({ pendingEdits: 2, connection: 'connecting' });
    const copies = [structuredClone(a), structuredClone(b)];
    combineSyncStates([a, b]);
    expect([a, b]).toEqual(copies);
  });
});

describe('syncSituation', () => {
  it('names the coarse situation a screen reader is told about', () => {
    expect(syncSituation(state({ refused: { code: 4403, reason: 'x' } }))).toBe('refused');
    expect(syncSituation(state({ storageError: 'blocked' }))).toBe('storage');
    expect(syncSituation(state({ localLoaded: false }))).toBe('loading');
    expect(syncSituation(state({ network: false }))).toBe('offline');
    expect(syncSituation(state({ connection: 'disconnected' }))).toBe('offline');
    // Typing flips pending edits and synced; the situation stays the same.
    expect(syncSituation(state({ pendingEdits: 5, synced: false, connection: 'connecting' }))).toBe(
      'online'
    );
    expect(syncSituation(state())).toBe('online');
  });
});

describe('SyncAnnouncer', () => {
  const loading = state({ localLoaded: false, connection: 'disconnected', synced: false });
  const starting = state({ connection: 'disconnected', synced: false });
  const connecting = state({ connection: 'connecting', synced: false });
  const offline = state({ network: false, connection: 'disconnected', synced: false });
  /** Sessions as the registry keys them: the workspace list's, and a document's opened later. */
  const list = {};
  const doc = {};
  const only = (each: SyncState) => new Map([[list, each]]);
  const both = (ofList: SyncState, ofDoc: SyncState) =>
    new Map([
      [list, ofList],
      [doc, ofDoc]
    ]);

  it('says nothing while a page opens and connects', () => {
    const announcer = new SyncAnnouncer();
    for (const each of [loading, starting, connecting, state(), state({ pendingEdits: 2 })]) {
      expect(announcer.next(only(each))).toBeNull();
    }
  });

  it('says "Back online" only after an actual offline period', () => {
    const announcer = new SyncAnnouncer();
    expect(announcer.next(only(loading))).toBeNull();
    expect(announcer.next(only(state()))).toBeNull();
    expect(announcer.next(only(offline))).toMatch(/^You are offline/);
    expect(announcer.next(only(offline))).toBeNull();
    expect(announcer.next(only(connecting))).toBe(BACK_ONLINE);
    expect(announcer.next(only(state()))).toBeNull();
  });

  it('counts a relay lost after it was reached as offline, not one still being reached', () => {
    const announcer = new SyncAnnouncer();
    expect(announcer.next(only(starting))).toBeNull();
    expect(announcer.next(only(state()))).toBeNull();
    expect(announcer.next(only(starting))).toMatch(/^You are offline/);
    expect(announcer.next(only(state()))).toBe(BACK_ONLINE);
  });

  it('opened offline: quiet at first, then back online once the network returns', () => {
    const announcer = new SyncAnnouncer();
    expect(announcer.next(only(loading))).toBeNull();
    expect(announcer.next(only(offline))).toBeNull();
    expect(announcer.next(only(state()))).toBe(BACK_ONLINE);
  });

  it('tells of a refusal', () => {
    const announcer = new SyncAnnouncer();
    expect(announcer.next(only(state()))).toBeNull();
    expect(announcer.next(only(state({ refused: { code: 4403, reason: 'no access' } })))).toMatch(
      /stopped syncing/
    );
  });

  it('says nothing when a session opens beside one already at the relay', () => {
    // A document opened from the list: its session reads the device copy and
    // is loaded a moment before it starts connecting.
    const announcer = new SyncAnnouncer();
    expect(announcer.next(only(state()))).toBeNull();
    for (const each of [loading, starting, connecting, state()]) {
      expect(announcer.next(both(state(), each))).toBeNull();
    }
    // Once at the relay, losing it is going offline.
    expect(announcer.next(both(state(), starting))).toMatch(/^You are offline/);
    expect(announcer.next(both(state(), state()))).toBe(BACK_ONLINE);
  });

  it('still tells of a session refused before it ever reached the relay', () => {
    const announcer = new SyncAnnouncer();
    expect(announcer.next(only(state()))).toBeNull();
    const refused = { ...starting, refused: { code: 4403, reason: 'no access' } };
    expect(announcer.next(both(state(), refused))).toMatch(/stopped syncing/);
  });

  it('counts a session not yet at the relay as offline when the network goes', () => {
    const announcer = new SyncAnnouncer();
    expect(announcer.next(only(state()))).toBeNull();
    expect(announcer.next(both(offline, offline))).toMatch(/^You are offline/);
    expect(announcer.next(both(connecting, connecting))).toBe(BACK_ONLINE);
  });
});
