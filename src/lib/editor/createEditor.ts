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
import { schemaExtensions } from './schemaExtensions.js';
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
  return new Editor({
    element: options.element,
    editable: options.editable ?? true,
    extensions: [
      ...schemaExtensions(),
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
}

/**
 * Another person's caret and name label. What arrives in awareness is
 * whatever that client sent: the colour is used only when it is `#rrggbb`,
 * the name is cut to length and set as text, never as markup.
 */
function renderCaret(user: Record<string, unknown>): HTMLElement {
  const color = presenceColor(user.color);
  const caret = document.createElement('span');
  caret.classList.add('collaboration-carets__caret');
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
