import type * as Y from 'yjs';
import { KINDS, missingSections, reviewWindowCloses } from '../model/kinds.js';
import {
  addOption,
  readFields,
  readLifecycle,
  setDaciRole,
  setField,
  setStatus,
  setTextField,
  toggleDocReaction,
  type FieldValues,
  type Lifecycle,
  type OptionValues
} from '../model/documentFields.js';
import {
  FieldError,
  addListItem,
  addToSet,
  fieldHistory,
  removeFromSet,
  removeListItem,
  setListText,
  setListValue,
  setRetroPart,
  type HistoryEntry,
  type RetroPart
} from '../model/fields.js';
import type { Status } from '../model/lifecycle.js';
import { makeAsk, type AskInput } from '../model/asks.js';
import {
  createDocumentThread,
  openThreadOf,
  settleOpenThreads,
  type Ask
} from '../model/comments.js';
import { defaultWorkingTime, type WorkingTime } from '../model/people.js';
import { withinWorkingTime } from '../model/replyBy.js';
import { getBody, type DocumentKind } from '../model/schema.js';
import { syncEntrySummary } from '../model/workspaceIndex.js';
import { newDocumentId } from '../model/workspaceIndex.js';
import { adrNumbers } from '../model/adr.js';
import type { Identity } from '../model/identity.js';
import type { DocumentState } from './documentState.svelte.js';
import type { DocumentThreads } from './documentThreads.svelte.js';
import type { WorkspaceState } from './workspace.svelte.js';

/**
 * The structured fields and lifecycle of the open document: read from its
 * room into runes state, written back through the model. Lifecycle steps
 * that concern people (a review's asks, the Informed's "to read") are threads
 * in the comments room, so they reach each person's queue.
 */
export class DocumentFields {
  values = $state<FieldValues>({});
  lifecycle = $state<Lifecycle>({
    status: 'draft',
    reviewOpenedAt: null,
    reviewOpenedBy: null,
    reviewClosesAt: null,
    decidedAt: null,
    decidedBy: null,
    outcome: '',
    adrNumber: null
  });
  /** RFC sections missing from the body's headings. */
  missing = $state<string[]>([]);

  private readonly doc: Y.Doc;
  private scheduled = false;
  private destroyed = false;
  /** An edit was made here since the last mirror to the list. */
  private localChange = false;
  private readonly onUpdate = (_update: Uint8Array, origin: unknown) => {
    if (origin !== this.document.session.provider && origin !== this.document.session.persistence)
      this.localChange = true;
    this.schedule();
  };

  constructor(
    private readonly document: DocumentState,
    private readonly workspace: WorkspaceState,
    private readonly threads: DocumentThreads,
    private readonly me: () => Identity
  ) {
    this.doc = document.doc;
    this.doc.on('update', this.onUpdate);
    document.session.on('status', this.onStatus);
    this.refresh();
  }

  get kind(): DocumentKind {
    return this.document.kind;
  }

  /** The ADR number shown: frozen once accepted, else derived from the list. */
  get adrNumber(): number | null {
    if (this.kind !== 'adr') return null;
    if (this.lifecycle.adrNumber) return this.lifecycle.adrNumber;
    const adrs = this.workspace.entries.filter((e) => e.kind === 'adr');
    return adrNumbers(adrs).get(this.document.id) ?? null;
  }

  history(name: string): HistoryEntry[] {
    return fieldHistory(this.doc, name);
  }

  setText(name: string, value: string): void {
    setTextField(this.doc, name, value);
  }

  setField(name: string, value: string | null): void {
    setField(this.doc, this.kind, name, value, this.me().userId, Date.now());
  }

  setRole(role: 'driver' | 'approver', person: string | null): void {
    setDaciRole(this.doc, role, person, this.me().userId, Date.now());
  }

  addPerson(field: string, person: string): void {
    addToSet(this.doc, field, person, Date.now());
  }

  removePerson(field: string, person: string): void {
    removeFromSet(this.doc, field, person);
  }

  addOption(option: OptionValues): void {
    addOption(this.doc, newDocumentId(), option);
  }

  setItemText(list: string, id: string, key: string, value: string): void {
    setListText(this.doc, list, id, key, value);
  }

  setItemValue(list: string, id: string, key: string, value: string | number | null): void {
    setListValue(this.doc, list, id, key, value);
  }

  removeItem(list: string, id: string): void {
    removeListItem(this.doc, list, id, Date.now());
  }

  addFaq(list: string, question: string): void {
    if (!question.trim()) throw new FieldError('Type the question first.');
    addListItem(this.doc, list, {
      id: newDocumentId(),
      texts: { question: question.trim(), answer: '' }
    });
  }

  setRetro(part: RetroPart, value: string): void {
    setRetroPart(this.doc, this.me().userId, part, value);
  }

  /**
   * An agreed action with an owner and a due date: stored in the document and
   * asked of the owner, so it waits in their queue until they answer.
   */
  addAction(text: string, owner: string, due: string): void {
    const now = Date.now();
    if (!text.trim()) throw new FieldError('Say what the action is.');
    if (!owner) throw new FieldError('Pick who owns the action.');
    const dueAt = this.dueInstant(due, owner);
    if (dueAt <= now) throw new FieldError('The due date has already passed.');
    const id = newDocumentId();
    addListItem(this.doc, 'actions', {
      id,
      values: { owner, due },
      texts: { text: text.trim() }
    });
    createDocumentThread(this.threads.doc, {
      threadId: newDocumentId(),
      commentId: newDocumentId(),
      purpose: 'action',
      title: `Action: ${text.trim()}`,
      author: this.me().userId,
      text: `Action for you, due ${due}: ${text.trim()}. Reply here when it is done.`,
      ask: this.ask({ assignees: [owner], preset: 'custom', replyBy: dueAt }, now),
      now
    });
  }

  react(emoji: string): void {
    toggleDocReaction(this.doc, this.me().userId, emoji, Date.now());
  }

  /** Who the open review asked (its thread's ask), or nobody. */
  askedReviewers(): string[] {
    const review = openThreadOf(this.threads.threads, 'review');
    return review?.comments[0]?.ask?.assignees ?? [];
  }

  /** The people a review asks by default, from the kind's fields. */
  defaultReviewers(): string[] {
    const from = KINDS[this.kind].reviewersFrom ?? [];
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local, returned as an array
    const ids = new Set<string>();
    for (const name of from) {
      const value = this.values[name];
      if (typeof value === 'string' && value) ids.add(value);
      if (Array.isArray(value)) for (const id of value) if (typeof id === 'string') ids.add(id);
    }
    ids.delete(this.me().userId);
    return [...ids];
  }

  /** When a review opened now would close, by the kind's rule. */
  proposedWindow(reviewers: readonly string[], now = Date.now()): number {
    return reviewWindowCloses(this.kind, this.values, now, this.workingTimes(reviewers));
  }

  /** Opens the review window and asks the reviewers to respond by its close. */
  openReview(closesAt: number, reviewers: readonly string[]): void {
    const now = Date.now();
    const me = this.me();
    if (reviewers.length === 0)
      throw new FieldError('Pick at least one reviewer: a review nobody is asked to read stalls.');
    setStatus(this.doc, this.kind, 'review', me.userId, now, { reviewClosesAt: closesAt });
    createDocumentThread(this.threads.doc, {
      threadId: newDocumentId(),
      commentId: newDocumentId(),
      purpose: 'review',
      title: `Review: ${this.document.title || 'Untitled'}`,
      author: me.userId,
      text: 'Please review this document and comment before the window closes.',
      ask: this.ask({ assignees: [...reviewers], preset: 'custom', replyBy: closesAt }, now),
      now
    });
  }

  /**
   * Records the outcome (decided/accepted or rejected): settles the review,
   * and tells the Informed in their queue ("to read").
   */
  decide(to: 'decided' | 'rejected', outcome: string): void {
    const now = Date.now();
    const me = this.me();
    setStatus(this.doc, this.kind, to, me.userId, now, {
      outcome,
      adrNumber: this.adrNumber ?? undefined
    });
    // From the comments room itself: the rendered list may not yet have
    // caught up with a room just loaded.
    settleOpenThreads(this.threads.doc, 'review', me.userId, now);
    const informed = (Array.isArray(this.values.informed) ? this.values.informed : []).filter(
      (id): id is string => typeof id === 'string' && id !== me.userId
    );
    if (informed.length > 0) {
      createDocumentThread(this.threads.doc, {
        threadId: newDocumentId(),
        commentId: newDocumentId(),
        purpose: 'decision',
        title: `${to === 'decided' ? 'Decided' : 'Rejected'}: ${this.document.title || 'Untitled'}`,
        author: me.userId,
        text: outcome.trim(),
        ask: this.ask(
          {
            assignees: informed,
            kind: 'read',
            preset: 'custom',
            // A week to read it, in everyone's working time.
            replyBy: Math.max(
              ...this.workingTimes(informed).map((t) => withinWorkingTime(now + 7 * 86_400_000, t))
            )
          },
          now
        ),
        now
      });
    }
  }

  /** Any other step (back to draft, superseded, archived). */
  move(to: Exclude<Status, 'review' | 'decided' | 'rejected'>): void {
    setStatus(this.doc, this.kind, to, this.me().userId, Date.now());
  }

  destroy(): void {
    this.destroyed = true;
    this.doc.off('update', this.onUpdate);
    this.document.session.off('status', this.onStatus);
  }

  private wasSynced = false;
  private readonly onStatus = () => {
    const synced = this.document.session.state.synced;
    if (synced && !this.wasSynced) this.schedule();
    this.wasSynced = synced;
  };

  private ask(input: AskInput, now: number): Ask {
    return makeAsk(input, {
      now,
      askerZone: this.me().timeZone,
      workingTimeOf: (id) => this.workspace.peopleById.get(id) ?? null
    });
  }

  private workingTimes(ids: readonly string[]): WorkingTime[] {
    const me = this.me();
    const times = ids.map((id) => this.workspace.peopleById.get(id) ?? defaultWorkingTime('UTC'));
    return [me, ...times];
  }

  /** A due date (YYYY-MM-DD) as the end of the owner's working day on it. */
  private dueInstant(due: string, owner: string): number {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(due)) throw new FieldError('Pick a due date.');
    const time = this.workspace.peopleById.get(owner) ?? defaultWorkingTime('UTC');
    // Noon of that day in their zone, moved to the end of their working day.
    const [y, m, d] = due.split('-').map(Number);
    const noon = Date.UTC(y, m - 1, d, 12);
    return withinWorkingTime(noon, { ...time, workStart: '00:00' });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      if (!this.destroyed) this.refresh();
    });
  }

  private refresh(): void {
    const kind = this.kind;
    this.values = readFields(this.doc, kind);
    this.lifecycle = readLifecycle(this.doc);
    this.missing = kind === 'rfc' ? missingSections(kind, bodyHeadings(this.doc)) : [];
    this.mirror();
  }

  /** Keeps the list's copy of status, TL;DR, window and people current. */
  private mirror(): void {
    // Only editors write the index; for anyone else the relay would drop it.
    if (!this.workspace.writable) return;
    if (!this.document.loaded || !this.workspace.entry(this.document.id)) return;
    // A device that has not heard from the relay yet may hold an old state of
    // the fields: it mirrors only its own edits until then, so it never puts
    // an old status back into the list.
    if (!this.localChange && !this.document.session.state.synced) return;
    this.localChange = false;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- a local, written to the index
    const people = new Set<string>();
    for (const def of KINDS[this.kind].fields) {
      const value = this.values[def.name];
      if (def.type === 'person' && typeof value === 'string' && value) people.add(value);
      if (def.type === 'people' && Array.isArray(value))
        for (const id of value) if (typeof id === 'string') people.add(id);
    }
    syncEntrySummary(this.workspace.doc, this.document.id, {
      status: this.lifecycle.status,
      tldr: typeof this.values.tldr === 'string' ? this.values.tldr : '',
      reviewClosesAt: this.lifecycle.status === 'review' ? this.lifecycle.reviewClosesAt : null,
      adrNumber: this.lifecycle.adrNumber,
      people: [...people],
      links: Object.fromEntries(
        KINDS[this.kind].fields
          .filter((def) => def.type === 'doc')
          .map((def) => [def.name, this.values[def.name]])
          .filter((pair): pair is [string, string] => typeof pair[1] === 'string' && !!pair[1])
      )
    });
  }
}

/** The text of the body's headings, in order (for the RFC's required sections). */
function bodyHeadings(doc: Y.Doc): string[] {
  const headings: string[] = [];
  for (const node of getBody(doc).toArray()) {
    if ('nodeName' in node && node.nodeName === 'heading') {
      headings.push(
        node
          .toArray()
          .map((child) => ('toString' in child ? textOf(child) : ''))
          .join('')
      );
    }
  }
  return headings;
}

function textOf(node: unknown): string {
  const value = node as { toDelta?: () => { insert?: unknown }[] };
  if (typeof value.toDelta === 'function') {
    return value
      .toDelta()
      .map((op) => (typeof op.insert === 'string' ? op.insert : ''))
      .join('');
  }
  return '';
}
