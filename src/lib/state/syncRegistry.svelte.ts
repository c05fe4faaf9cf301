import { SvelteMap } from 'svelte/reactivity';
import { combineSyncStates, type SyncState } from '../model/status.js';
import type { DocSession } from '../sync/DocSession.js';

/**
 * Every open session's sync state, combined for the one status indicator in
 * the header: a page shows the workspace list and a document at once.
 */
export class SyncRegistry {
  private readonly states = new SvelteMap<DocSession, SyncState>();
  readonly combined = $derived(combineSyncStates([...this.states.values()]));

  /** Each session's state (the announcer tells starting sessions from lost ones). */
  get sessions(): ReadonlyMap<DocSession, SyncState> {
    return this.states;
  }

  /** Follows a session's status until the returned function is called. */
  track(session: DocSession): () => void {
    const update = (state: SyncState) => {
      this.states.set(session, state);
    };
    update(session.state);
    session.on('status', update);
    return () => {
      session.off('status', update);
      this.states.delete(session);
    };
  }
}
