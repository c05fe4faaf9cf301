import { combineSyncStates, type SyncState } from '../model/status.js';
import type { DocSession } from '../sync/DocSession.js';

/**
 * Every open session's sync state, combined for the one status indicator in
 * the header: a page shows the workspace list and a document at once.
 */
export class SyncRegistry {
  private states = $state<Map<DocSession, SyncState>>(new Map());
  readonly combined = $derived(combineSyncStates([...this.states.values()]));

  /** Follows a session's status until the returned function is called. */
  track(session: DocSession): () => void {
    const update = (state: SyncState) => {
      const next = new Map(this.states);
      next.set(session, state);
      this.states = next;
    };
    update(session.state);
    session.on('status', update);
    return () => {
      session.off('status', update);
      const next = new Map(this.states);
      next.delete(session);
      this.states = next;
    };
  }
}
