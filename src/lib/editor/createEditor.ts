/**
 * Builds the collaborative tiptap editor for one document. DOM allowed, no
 * Svelte: the component calls this in an $effect and destroys it on cleanup.
 */
import { Editor } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { Placeholder } from '@tiptap/extensions';
import type * as Y from 'yjs';
import type { Awareness } from 'y-protocols/awareness';
import { getBody, type DocumentKind } from '../model/schema.js';
import { templateGuidance } from './guidance.js';
import { editorSchemaExtensions, hasTable } from './lightTables.js';
import { tables, tablesRequested } from './tables.js';
import type { Transaction } from '@tiptap/pm/state';
import type { Slice } from '@tiptap/pm/model';
import { pasteGuard, type PasteRefused } from './pasteGuard.js';
import { CommentHighlights, type CommentHighlightsOptions } from './commentAnchors.js';
import { Extension } from '@tiptap/core';
import { presenceColor, presenceName } from '../model/deviceAccess.js';

export interface EditorUser {
  name: string;
  color: string;
}

export interface CreateEditorOptions {
  element: HTMLElement;
  doc: Y.Doc;
  awareness: Awareness;
  user: EditorUser;
  editable?: boolean;
  onPasteRefused?: (refusal: PasteRefused) => void;
  /** The document's kind, for its template's guidance (read when shown). */
  kind?: () => DocumentKind;
  /** Comment threads: highlights, and Ctrl/Cmd+Alt+M to comment on the selection. */
  comments?: CommentHighlightsOptions & { onComment: () => void };
}

export function createEditor(options: CreateEditorOptions): Editor {
  const editor = new Editor({
    element: options.element,
    editable: options.editable ?? true,
    extensions: [
      ...editorSchemaExtensions(),
      Collaboration.configure({ fragment: getBody(options.doc) }),
      CollaborationCaret.configure({
        provider: { awareness: options.awareness },
        user: options.user,
        render: renderCaret,
        selectionRender: (user: Record<string, unknown>) => ({
          style: `background-color: ${presenceColor(user.color)}70`,
          class: 'ProseMirror-yjs-selection'
        })
      }),
      Placeholder.configure({ placeholder: 'Start writing…' }),
      ...(options.kind ? [templateGuidance(options.kind)] : []),
      pasteGuard({ onRefused: options.onPasteRefused }),
      ...(options.comments
        ? [
            CommentHighlights.configure({
              onActivate: options.comments.onActivate,
              onRanges: options.comments.onRanges
            }),
            commentShortcut(options.comments.onComment)
          ]
        : [])
    ],
    editorProps: {
      attributes: {
        class: 'prose',
        'aria-label': 'Document body',
        role: 'textbox',
        'aria-multiline': 'true',
        spellcheck: 'true',
        ...(options.editable === false ? { 'aria-readonly': 'true' } : {})
      }
    }
  });
  loadTablesWhenNeeded(editor);
  return editor;
}

/**
 * Table editing loads the first time this editor holds a table (opened with
 * one, or one arrives from someone else) or the caret is in one; the toolbar
 * loads it for its table buttons too.
 */
function loadTablesWhenNeeded(editor: Editor): void {
  const check = ({ transaction }: { transaction: Transaction }) => {
    if (tablesRequested(editor)) {
      editor.off('transaction', check);
      return;
    }
    if (editor.isActive('table') || (transaction.docChanged && addsTable(transaction))) {
      editor.off('transaction', check);
      void tables(editor);
    }
  };
  if (hasTable(editor.state.doc)) void tables(editor);
  else editor.on('transaction', check);
}

/** Whether a transaction's steps bring in a table (typing's steps are a few characters). */
function addsTable(transaction: Transaction): boolean {
  return transaction.steps.some((step) => {
    const slice = (step as unknown as { slice?: Slice }).slice;
    if (!slice) return false;
    let found = false;
    slice.content.descendants((node) => {
      if (found) return false;
      if (node.type.name === 'table') found = true;
      return !found && !node.isTextblock;
    });
    return found;
  });
}

/**
 * Another person's caret and name label. What arrives in awareness is
 * whatever that client sent: the colour is used only when it is `#rrggbb`,
 * the name is cut to length and set as text, never as markup. The caret sits
 * inside the "Document body" textbox, so it is hidden from assistive
 * technology: a screen reader would otherwise read the name in the middle of
 * the text (who is here is announced by the peer list).
 */
function renderCaret(user: Record<string, unknown>): HTMLElement {
  const color = presenceColor(user.color);
  const caret = document.createElement('span');
  caret.classList.add('collaboration-carets__caret');
  caret.setAttribute('aria-hidden', 'true');
  caret.style.borderColor = color;
  const label = document.createElement('div');
  label.classList.add('collaboration-carets__label');
  label.style.backgroundColor = color;
  label.textContent = presenceName(user.name) || 'Someone';
  caret.append(label);
  return caret;
}

function commentShortcut(onComment: () => void) {
  return Extension.create({
    name: 'commentShortcut',
    addKeyboardShortcuts() {
      return {
        'Mod-Alt-m': () => {
          onComment();
          return true;
        }
      };
    }
  });
}
