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
import { guidanceFor } from '../model/kinds.js';
import { schemaExtensions } from './schemaExtensions.js';
import { pasteGuard, type PasteRefused } from './pasteGuard.js';
import { CommentHighlights, type CommentHighlightsOptions } from './commentAnchors.js';
import { Extension } from '@tiptap/core';

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
        user: options.user
      }),
      Placeholder.configure({
        // Template guidance: an empty paragraph under a section heading shows
        // that section's guidance until someone types there. It is not
        // content: nobody has to delete it, and it is never stored.
        showOnlyCurrent: false,
        placeholder: ({ editor, node, pos }) => {
          if (editor.isEmpty) return 'Start writing…';
          if (node.type.name !== 'paragraph' || !options.kind) return '';
          const index = editor.state.doc.resolve(pos).index(0);
          const previous = index > 0 ? editor.state.doc.child(index - 1) : null;
          if (!previous || previous.type.name !== 'heading') return '';
          return guidanceFor(options.kind(), previous.textContent) ?? '';
        }
      }),
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
        spellcheck: 'true'
      }
    }
  });
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
