/**
 * Writes a kind's template into a new document's body: its sections as
 * headings, each followed by an empty paragraph that shows guidance
 * (createEditor's placeholder). Only the device that created the document
 * calls this, once, so two devices never write the template twice.
 */
import type * as Y from 'yjs';
import { getSchema } from '@tiptap/core';
import { prosemirrorJSONToYXmlFragment } from '@tiptap/y-tiptap';
import { templateContent } from '../model/kinds.js';
import { getBody, type DocumentKind } from '../model/schema.js';
// The editor's schema (equal to schemaExtensions()'s, see lightTables.ts):
// the page that writes a template has no table editing code loaded.
import { editorSchemaExtensions } from './lightTables.js';

export function writeTemplate(doc: Y.Doc, kind: DocumentKind, origin?: unknown): boolean {
  const body = getBody(doc);
  const content = templateContent(kind);
  if (body.length > 0 || content.length === 0) return false;
  doc.transact(() => {
    prosemirrorJSONToYXmlFragment(
      getSchema(editorSchemaExtensions()),
      { type: 'doc', content },
      body
    );
  }, origin);
  return true;
}
