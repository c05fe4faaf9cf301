/**
 * The rich-text schema every client agrees on, without any collaboration or
 * DOM-only parts, so Node code (the relay, tests, Markdown import and export)
 * can build the same ProseMirror schema with `getSchema(schemaExtensions())`.
 * The editor builds the same schema from editorSchemaExtensions() (lightTables.ts),
 * which leaves the table editing code out of the page's first load.
 */
import type { Extensions } from '@tiptap/core';
import { TableKit } from '@tiptap/extension-table';
import { baseExtensions } from './baseSchema.js';

export function schemaExtensions(): Extensions {
  return [...baseExtensions(), TableKit.configure({ table: { resizable: false } })];
}
