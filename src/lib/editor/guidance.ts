/**
 * Template guidance: an empty paragraph right under a section heading of the
 * document's kind shows that section's guidance until someone types there. It
 * is a decoration, not content: nobody has to delete it and it is never
 * stored. Recomputed from the top-level blocks when the document changes (a
 * heading renamed elsewhere changes the guidance below it), mapped otherwise.
 */
import { Extension } from '@tiptap/core';
import { Plugin, PluginKey } from '@tiptap/pm/state';
import { Decoration, DecorationSet } from '@tiptap/pm/view';
import type { Node as PMNode } from '@tiptap/pm/model';
import { guidanceFor } from '../model/kinds.js';
import type { DocumentKind } from '../model/schema.js';

const key = new PluginKey<DecorationSet>('templateGuidance');

export function guidanceDecorations(doc: PMNode, kind: DocumentKind): DecorationSet {
  const decorations: Decoration[] = [];
  let previous: PMNode | null = null;
  doc.forEach((node, offset) => {
    if (
      previous?.type.name === 'heading' &&
      node.type.name === 'paragraph' &&
      node.content.size === 0
    ) {
      const guidance = guidanceFor(kind, previous.textContent);
      if (guidance) {
        decorations.push(
          Decoration.node(offset, offset + node.nodeSize, {
            class: 'template-guidance',
            'data-guidance': guidance
          })
        );
      }
    }
    previous = node;
  });
  return DecorationSet.create(doc, decorations);
}

export function templateGuidance(kind: () => DocumentKind) {
  return Extension.create({
    name: 'templateGuidance',
    addProseMirrorPlugins() {
      return [
        new Plugin<DecorationSet>({
          key,
          state: {
            init: (_config, state) => guidanceDecorations(state.doc, kind()),
            apply: (tr, value, _old, state) =>
              tr.docChanged ? guidanceDecorations(state.doc, kind()) : value
          },
          props: {
            decorations: (state) => key.getState(state)
          }
        })
      ];
    }
  });
}
