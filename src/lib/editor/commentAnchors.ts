/**
 * Comment anchors: a passage of the body held as two Yjs relative positions,
 * so it follows its text through live and offline edits on every side, and
 * the ProseMirror decorations that highlight it. No Svelte; no DOM needed
 * for the headless helpers (tests, benchmarks, import/export).
 *
 * Speed: decorations are mapped through local transactions (typing never
 * re-resolves 500 anchors); they are resolved anew only when the threads
 * change or a remote change arrives, which y-tiptap applies by replacing the
 * document, so mapped positions would collapse.
 *
 * y-tiptap's ySyncPluginKey state holds the binding's Yjs → ProseMirror
 * mapping; reading `binding.mapping` is the one place we rely on it (the
 * cursor plugin of y-tiptap does the same), and tests/unit/commentAnchors.test.ts
 * fails if an upgrade moves it.
 */
import * as Y from 'yjs';
import { Extension } from '@tiptap/core';
import { Plugin, PluginKey, type EditorState, type Transaction } from '@tiptap/pm/state';
import { Decoration, DecorationSet } from '@tiptap/pm/view';
import type { Node as PMNode, Schema } from '@tiptap/pm/model';
import {
  absolutePositionToRelativePosition,
  initProseMirrorDoc,
  relativePositionToAbsolutePosition,
  ySyncPluginKey
} from '@tiptap/y-tiptap';

/** Quotes are for recognising a passage, not for keeping it whole. */
export const MAX_QUOTE_LENGTH = 280;

export interface EncodedAnchor {
  anchorStart: Uint8Array;
  anchorEnd: Uint8Array;
  quote: string;
}

export interface HighlightAnchor {
  threadId: string;
  anchorStart: Uint8Array | null;
  anchorEnd: Uint8Array | null;
  /** Resolved threads keep their anchor but are not highlighted. */
  resolved: boolean;
}

/** Where a thread's passage is now; null when it is detached (deleted). */
export type AnchorRange = { from: number; to: number } | null;

type Mapping = Map<Y.AbstractType<unknown>, PMNode | PMNode[]>;

export function quoteOf(doc: PMNode, from: number, to: number): string {
  const text = doc.textBetween(from, to, ' ', ' ').replace(/\s+/g, ' ').trim();
  const chars = Array.from(text);
  return chars.length > MAX_QUOTE_LENGTH
    ? chars.slice(0, MAX_QUOTE_LENGTH - 1).join('') + '…'
    : text;
}

function encodeRange(
  fragment: Y.XmlFragment,
  mapping: Mapping,
  from: number,
  to: number
): { anchorStart: Uint8Array; anchorEnd: Uint8Array } {
  const start = stickRight(
    fragment,
    absolutePositionToRelativePosition(from, fragment, mapping) as Y.RelativePosition
  );
  const end = absolutePositionToRelativePosition(to, fragment, mapping) as Y.RelativePosition;
  return {
    anchorStart: Y.encodeRelativePosition(start),
    anchorEnd: Y.encodeRelativePosition(end)
  };
}

/**
 * y-tiptap's relative positions stick to the character on their left, which
 * suits the end of a passage (typing right after it stays outside). The start
 * must stick to the passage's first character instead, or text typed just
 * before the passage would join it.
 */
function stickRight(fragment: Y.XmlFragment, relative: Y.RelativePosition): Y.RelativePosition {
  const ydoc = fragment.doc;
  if (!ydoc) return relative;
  const absolute = Y.createAbsolutePositionFromRelativePosition(relative, ydoc);
  if (!absolute) return relative;
  return Y.createRelativePositionFromTypeIndex(absolute.type, absolute.index, 0);
}

function decodeRange(
  ydoc: Y.Doc,
  fragment: Y.XmlFragment,
  mapping: Mapping,
  anchor: { anchorStart: Uint8Array | null; anchorEnd: Uint8Array | null },
  docSize: number
): AnchorRange {
  if (!anchor.anchorStart || !anchor.anchorEnd) return null;
  try {
    const from = relativePositionToAbsolutePosition(
      ydoc,
      fragment,
      Y.decodeRelativePosition(anchor.anchorStart),
      mapping
    );
    const to = relativePositionToAbsolutePosition(
      ydoc,
      fragment,
      Y.decodeRelativePosition(anchor.anchorEnd),
      mapping
    );
    if (from === null || to === null) return null;
    const a = Math.max(0, Math.min(from, docSize));
    const b = Math.max(0, Math.min(to, docSize));
    // Everything between the two ends was deleted: the thread is detached.
    return b > a ? { from: a, to: b } : null;
  } catch {
    // Bytes another client wrote that do not decode: treated as detached.
    return null;
  }
}

/** The binding's mapping from an editor state, or null before it is ready. */
function bindingOf(
  state: EditorState
): { mapping: Mapping; ydoc: Y.Doc; fragment: Y.XmlFragment } | null {
  const sync = ySyncPluginKey.getState(state) as
    { binding?: { mapping: Mapping; type: Y.XmlFragment; doc: Y.Doc } | null } | undefined;
  const binding = sync?.binding;
  if (!binding || !binding.mapping || binding.mapping.size === 0) return null;
  return { mapping: binding.mapping, ydoc: binding.doc, fragment: binding.type };
}

/** The current selection as an anchor, or null when nothing is selected. */
export function anchorFromSelection(state: EditorState): EncodedAnchor | null {
  const { from, to, empty } = state.selection;
  if (empty) return null;
  const quote = quoteOf(state.doc, from, to);
  if (!quote) return null;
  const binding = bindingOf(state);
  if (!binding) return null;
  return { ...encodeRange(binding.fragment, binding.mapping, from, to), quote };
}

// ---------------------------------------------------------------- headless

/**
 * The body as ProseMirror sees it, with the mapping needed to turn positions
 * into relative positions and back, without an editor or DOM.
 */
export function headlessBody(fragment: Y.XmlFragment, schema: Schema) {
  const { doc, mapping } = initProseMirrorDoc(fragment, schema);
  return { doc: doc as PMNode, mapping: mapping as Mapping };
}

export function anchorFromRange(
  fragment: Y.XmlFragment,
  schema: Schema,
  from: number,
  to: number
): EncodedAnchor {
  const { doc, mapping } = headlessBody(fragment, schema);
  return { ...encodeRange(fragment, mapping, from, to), quote: quoteOf(doc, from, to) };
}

/** Where each anchor is now, and the text it covers. */
export function resolveAnchorsHeadless(
  fragment: Y.XmlFragment,
  schema: Schema,
  anchors: readonly {
    threadId: string;
    anchorStart: Uint8Array | null;
    anchorEnd: Uint8Array | null;
  }[]
): Map<string, { range: AnchorRange; text: string }> {
  const { doc, mapping } = headlessBody(fragment, schema);
  const ydoc = fragment.doc;
  const result = new Map<string, { range: AnchorRange; text: string }>();
  for (const anchor of anchors) {
    const range = ydoc ? decodeRange(ydoc, fragment, mapping, anchor, doc.content.size) : null;
    result.set(anchor.threadId, {
      range,
      text: range ? doc.textBetween(range.from, range.to, ' ', ' ') : ''
    });
  }
  return result;
}

// ---------------------------------------------------------------- the plugin

interface HighlightState {
  anchors: readonly HighlightAnchor[];
  active: string | null;
  ranges: Map<string, AnchorRange>;
  decorations: DecorationSet;
  /** Bumped whenever ranges were resolved anew (not merely mapped). */
  version: number;
}

type HighlightMeta = { anchors?: readonly HighlightAnchor[]; active?: string | null };

export const commentHighlightsKey = new PluginKey<HighlightState>('commentHighlights');

function resolveAll(
  state: EditorState,
  anchors: readonly HighlightAnchor[]
): Map<string, AnchorRange> {
  const ranges = new Map<string, AnchorRange>();
  const binding = bindingOf(state);
  for (const anchor of anchors) {
    ranges.set(
      anchor.threadId,
      binding
        ? decodeRange(
            binding.ydoc,
            binding.fragment,
            binding.mapping,
            anchor,
            state.doc.content.size
          )
        : null
    );
  }
  return ranges;
}

function decorate(
  doc: PMNode,
  anchors: readonly HighlightAnchor[],
  ranges: Map<string, AnchorRange>,
  active: string | null
): DecorationSet {
  const decorations: Decoration[] = [];
  for (const anchor of anchors) {
    const range = ranges.get(anchor.threadId);
    if (!range || (anchor.resolved && anchor.threadId !== active)) continue;
    const classes = ['comment-anchor'];
    if (anchor.threadId === active) classes.push('comment-anchor-active');
    if (anchor.resolved) classes.push('comment-anchor-resolved');
    decorations.push(
      Decoration.inline(
        range.from,
        range.to,
        { class: classes.join(' '), 'data-thread-id': anchor.threadId },
        { threadId: anchor.threadId, inclusiveStart: false, inclusiveEnd: false }
      )
    );
  }
  return DecorationSet.create(doc, decorations);
}

function isRemote(tr: Transaction): boolean {
  const meta = tr.getMeta(ySyncPluginKey) as { isChangeOrigin?: boolean } | undefined;
  return meta?.isChangeOrigin === true;
}

export interface CommentHighlightsOptions {
  /** A highlight was clicked: focus its thread. */
  onActivate: (threadId: string) => void;
  /** The ranges were resolved anew or mapped; called after the view updated. */
  onRanges: (ranges: ReadonlyMap<string, AnchorRange>, version: number) => void;
}

export const CommentHighlights = Extension.create<CommentHighlightsOptions>({
  name: 'commentHighlights',
  addOptions() {
    return { onActivate: () => {}, onRanges: () => {} };
  },
  addProseMirrorPlugins() {
    const options = this.options;
    return [
      new Plugin<HighlightState>({
        key: commentHighlightsKey,
        state: {
          init: (_config, state) => ({
            anchors: [],
            active: null,
            ranges: new Map(),
            decorations: DecorationSet.create(state.doc, []),
            version: 0
          }),
          apply(tr, value, _old, state) {
            const meta = tr.getMeta(commentHighlightsKey) as HighlightMeta | undefined;
            const anchors = meta?.anchors ?? value.anchors;
            const active = meta && 'active' in meta ? (meta.active ?? null) : value.active;
            if (meta?.anchors || (tr.docChanged && isRemote(tr))) {
              const ranges = resolveAll(state, anchors);
              return {
                anchors,
                active,
                ranges,
                decorations: decorate(state.doc, anchors, ranges, active),
                version: value.version + 1
              };
            }
            if (tr.docChanged) {
              // Local typing: map what we have instead of resolving again.
              const ranges = new Map<string, AnchorRange>();
              for (const [id, range] of value.ranges) {
                if (!range) {
                  ranges.set(id, null);
                  continue;
                }
                const from = tr.mapping.map(range.from, 1);
                const to = tr.mapping.map(range.to, -1);
                ranges.set(id, to > from ? { from, to } : null);
              }
              const decorations =
                active === value.active
                  ? value.decorations.map(tr.mapping, tr.doc)
                  : decorate(state.doc, anchors, ranges, active);
              return { anchors, active, ranges, decorations, version: value.version };
            }
            if (active !== value.active) {
              return {
                ...value,
                active,
                decorations: decorate(state.doc, anchors, value.ranges, active)
              };
            }
            return value;
          }
        },
        props: {
          decorations(state) {
            return commentHighlightsKey.getState(state)?.decorations;
          },
          handleClick(view, pos) {
            const plugin = commentHighlightsKey.getState(view.state);
            if (!plugin) return false;
            // The innermost passage under the click wins when threads overlap.
            let best: { id: string; size: number } | null = null;
            for (const [id, range] of plugin.ranges) {
              const anchor = plugin.anchors.find((a) => a.threadId === id);
              if (!range || !anchor || (anchor.resolved && id !== plugin.active)) continue;
              if (pos < range.from || pos > range.to) continue;
              const size = range.to - range.from;
              if (!best || size < best.size) best = { id, size };
            }
            if (best) options.onActivate(best.id);
            return false;
          }
        },
        view() {
          let last: HighlightState | undefined;
          return {
            update(view) {
              const current = commentHighlightsKey.getState(view.state);
              if (!current || current === last) return;
              last = current;
              options.onRanges(current.ranges, current.version);
            }
          };
        }
      })
    ];
  }
});

/** Replaces the threads to highlight (after they changed in the comments room). */
export function setHighlightAnchors(
  view: { state: EditorState; dispatch: (tr: Transaction) => void },
  anchors: readonly HighlightAnchor[]
): void {
  view.dispatch(
    view.state.tr.setMeta(commentHighlightsKey, { anchors }).setMeta('addToHistory', false)
  );
}

export function setActiveThread(
  view: { state: EditorState; dispatch: (tr: Transaction) => void },
  active: string | null
): void {
  view.dispatch(
    view.state.tr.setMeta(commentHighlightsKey, { active }).setMeta('addToHistory', false)
  );
}

export function rangesOf(state: EditorState): ReadonlyMap<string, AnchorRange> {
  return commentHighlightsKey.getState(state)?.ranges ?? new Map();
}
