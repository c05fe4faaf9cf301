import type * as Y from 'yjs';
import {
  addReply,
  createThread,
  deleteComment,
  editComment,
  setResolved,
  toggleReaction,
  writeOutcome,
  type Thread
} from '../model/comments.js';
import { makeAsk, type AskInput } from '../model/asks.js';
import { newDocumentId } from '../model/workspaceIndex.js';
import type { Identity } from '../model/identity.js';
import type { AnchorRange, EncodedAnchor } from '../editor/commentAnchors.js';
import type { ThreadLibrary } from './threads.svelte.js';
import type { WorkspaceState } from './workspace.svelte.js';

/**
 * The comment threads of the open document: the list, which one is focused,
 * where each passage is in the editor, and the actions of review. Writes go
 * to the document's comments room only; the body is never touched.
 */
export class DocumentThreads {
  readonly documentId: string;
  /** The thread focused in the margin and highlighted in the text. */
  active = $state<string | null>(null);
  /** Where each thread's passage is now (null: detached), from the editor. */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, never mutated
  ranges = $state<ReadonlyMap<string, AnchorRange>>(new Map());
  /**
   * Where each passage starts on the page (document coordinates, px), for
   * cards laid out beside their passage in the margin.
   */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, never mutated
  tops = $state<ReadonlyMap<string, number>>(new Map());
  /** The editor has placed the anchors at least once. */
  placed = $state(false);
  /** Asks the editor to select and show a thread's passage (bumped per request). */
  passageRequest = $state<{ threadId: string; n: number; focusText: boolean } | null>(null);
  /** The passage a new comment is being written for. */
  draft = $state<EncodedAnchor | null>(null);
  readonly threads: Thread[];
  private readonly library: ThreadLibrary;

  /** The comments room; opening it early is what `open` avoids. */
  get doc(): Y.Doc {
    return this.library.room(this.documentId).doc;
  }

  /** Starts reading the room (the page calls this once the body has loaded). */
  open(): void {
    this.library.release(this.documentId);
  }
  private readonly workspace: WorkspaceState;
  private readonly me: () => Identity;

  constructor(library: ThreadLibrary, workspace: WorkspaceState, id: string, me: () => Identity) {
    this.documentId = id;
    this.workspace = workspace;
    this.me = me;
    this.library = library;
    library.hold(id);
    this.threads = $derived(library.threads.get(id) ?? []);
  }

  isDetached(threadId: string): boolean {
    // A thread the editor has not placed yet (it just arrived) is not detached.
    if (this.threads.find((t) => t.id === threadId)?.purpose !== 'passage') return false;
    return this.placed && this.ranges.has(threadId) && !this.ranges.get(threadId);
  }

  setTops(tops: ReadonlyMap<string, number>): void {
    this.tops = tops;
  }

  setRanges(ranges: ReadonlyMap<string, AnchorRange>): void {
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- replaced whole, never mutated
    this.ranges = new Map(ranges);
    this.placed = true;
  }

  /**
   * Selects a thread's passage and scrolls it into view; `focusText` moves the
   * keyboard focus into the text too (from the thread's quote button), while
   * opening from My queue leaves it on the thread.
   */
  showPassage(threadId: string, focusText = true): void {
    this.active = threadId;
    this.passageRequest = { threadId, n: (this.passageRequest?.n ?? 0) + 1, focusText };
  }

  /** Where the draft's passage starts on the page (document coordinates), if known. */
  draftTop = $state<number | null>(null);

  startDraft(anchor: EncodedAnchor, top: number | null = null): void {
    this.draft = anchor;
    this.draftTop = top;
    this.active = null;
  }

  cancelDraft(): void {
    this.draft = null;
  }

  /** Starts the thread for the draft passage; returns its id. Throws CommentError. */
  create(text: string, ask: AskInput | null): string {
    const draft = this.draft;
    const now = Date.now();
    const threadId = newDocumentId();
    createThread(this.doc, {
      threadId,
      commentId: newDocumentId(),
      anchorStart: draft?.anchorStart ?? new Uint8Array(),
      anchorEnd: draft?.anchorEnd ?? new Uint8Array(),
      quote: draft?.quote ?? '',
      author: this.me().userId,
      text,
      ask: ask ? this.ask(ask, now) : null,
      now
    });
    this.draft = null;
    this.active = threadId;
    return threadId;
  }

  reply(threadId: string, text: string, ask: AskInput | null): void {
    const now = Date.now();
    addReply(this.doc, threadId, {
      commentId: newDocumentId(),
      author: this.me().userId,
      text,
      ask: ask ? this.ask(ask, now) : null,
      now
    });
  }

  writeOutcome(threadId: string, text: string): void {
    writeOutcome(this.doc, threadId, {
      commentId: newDocumentId(),
      author: this.me().userId,
      text,
      now: Date.now()
    });
  }

  edit(threadId: string, commentId: string, text: string): void {
    editComment(this.doc, threadId, commentId, this.me().userId, text, Date.now());
  }

  remove(threadId: string, commentId: string): void {
    deleteComment(this.doc, threadId, commentId, this.me().userId, Date.now());
  }

  react(threadId: string, commentId: string, emoji: string): void {
    toggleReaction(this.doc, threadId, commentId, this.me().userId, emoji, Date.now());
  }

  setResolved(threadId: string, resolved: boolean): void {
    setResolved(this.doc, threadId, resolved, this.me().userId, Date.now());
  }

  private ask(input: AskInput, now: number) {
    const me = this.me();
    return makeAsk(input, {
      now,
      askerZone: me.timeZone,
      workingTimeOf: (id) => this.workspace.peopleById.get(id) ?? null
    });
  }
}
