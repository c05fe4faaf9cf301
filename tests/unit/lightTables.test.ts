/**
 * The editor builds its schema with light table nodes (the editing code loads
 * on demand); the relay, Markdown and every other client use TableKit. Both
 * must describe the same documents: same nodes, content, groups, roles,
 * attributes and defaults, and marks.
 */
import { describe, expect, it } from 'vitest';
import { getSchema } from '@tiptap/core';
import type { NodeType, MarkType, Schema } from '@tiptap/pm/model';
import { schemaExtensions } from '../../src/lib/editor/schemaExtensions.js';
import { editorSchemaExtensions, hasTable } from '../../src/lib/editor/lightTables.js';

function describeType(type: NodeType | MarkType) {
  const spec = type.spec as Record<string, unknown>;
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(spec)) {
    if (typeof value === 'function' || key === 'parseDOM' || key === 'toDOM') continue;
    if (key === 'attrs') {
      plain.attrs = Object.fromEntries(
        Object.entries(value as Record<string, { default?: unknown; validate?: unknown }>).map(
          ([name, attr]) => [name, { default: attr.default, validate: typeof attr.validate }]
        )
      );
      continue;
    }
    plain[key] = value;
  }
  return plain;
}

function describeSchema(schema: Schema) {
  return {
    nodes: Object.fromEntries(Object.values(schema.nodes).map((t) => [t.name, describeType(t)])),
    marks: Object.fromEntries(Object.values(schema.marks).map((t) => [t.name, describeType(t)])),
    order: Object.keys(schema.nodes)
  };
}

describe('light table nodes', () => {
  const full = getSchema(schemaExtensions());
  const light = getSchema(editorSchemaExtensions());

  it('give the same schema as TableKit', () => {
    expect(describeSchema(light)).toEqual(describeSchema(full));
    expect(light.nodes.table.spec.tableRole).toBe('table');
    expect(light.nodes.tableCell.spec.tableRole).toBe('cell');
  });

  it('read a document with a table written under the full schema, and find the table', () => {
    const cell = (text: string) => ({
      type: 'tableCell',
      attrs: { colspan: 2, rowspan: 1, colwidth: null },
      content: [{ type: 'paragraph', content: [{ type: 'text', text }] }]
    });
    const json = {
      type: 'doc',
      content: [
        { type: 'paragraph', content: [{ type: 'text', text: 'Before' }] },
        {
          type: 'bulletList',
          content: [
            {
              type: 'listItem',
              content: [
                { type: 'paragraph' },
                { type: 'table', content: [{ type: 'tableRow', content: [cell('a')] }] }
              ]
            }
          ]
        }
      ]
    };
    const doc = full.nodeFromJSON(json);
    doc.check();
    const again = light.nodeFromJSON(doc.toJSON());
    again.check();
    expect(again.toJSON()).toEqual(doc.toJSON());
    expect(hasTable(again)).toBe(true);
    expect(hasTable(light.nodeFromJSON({ type: 'doc', content: [json.content[0]] }))).toBe(false);
  });
});
