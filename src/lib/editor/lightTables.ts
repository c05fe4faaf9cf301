/**
 * The table nodes as the schema knows them (same names, content, attributes
 * and roles as TableKit's), without the table editing code: cell selection,
 * Tab between cells, the insert/add/delete commands. That code (prosemirror-
 * tables) loads when a table is first needed (tables.ts); until then a table
 * shows and its cells take typing like any text. The unit test
 * tests/unit/lightTables.test.ts holds the two schemas equal.
 */
import { Node, callOrReturn, getExtensionField, mergeAttributes } from '@tiptap/core';
import type { Extensions } from '@tiptap/core';
import type { Node as PMNode } from '@tiptap/pm/model';
import { TableRow } from '@tiptap/extension-table/row';
import { TableCell } from '@tiptap/extension-table/cell';
import { TableHeader } from '@tiptap/extension-table/header';
import { baseExtensions } from './baseSchema.js';

export const LightTable = Node.create<{ HTMLAttributes: Record<string, unknown> }>({
  name: 'table',
  addOptions() {
    return { HTMLAttributes: {} };
  },
  content: 'tableRow+',
  tableRole: 'table',
  isolating: true,
  group: 'block',
  parseHTML() {
    return [{ tag: 'table' }];
  },
  renderHTML({ HTMLAttributes }) {
    return ['table', mergeAttributes(this.options.HTMLAttributes, HTMLAttributes), ['tbody', 0]];
  },
  // As TableKit's table: every node's tableRole goes into its schema spec,
  // where prosemirror-tables looks for it.
  extendNodeSchema(extension) {
    const context = {
      name: extension.name,
      options: extension.options,
      storage: extension.storage
    };
    return { tableRole: callOrReturn(getExtensionField(extension, 'tableRole', context)) };
  }
});

/** The editor's extensions of the shared schema: schemaExtensions() with light tables, in TableKit's order. */
export function editorSchemaExtensions(): Extensions {
  return [...baseExtensions(), LightTable, TableCell, TableHeader, TableRow];
}

/** Whether a document holds a table (block nodes only; a table is never inline). */
export function hasTable(doc: PMNode): boolean {
  let found = false;
  doc.descendants((node) => {
    if (found) return false;
    if (node.type.name === 'table') found = true;
    return !found && !node.isTextblock;
  });
  return found;
}
