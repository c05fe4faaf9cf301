/**
 * The rich-text schema every client agrees on, without any collaboration or
 * DOM-only parts, so Node code (the relay, tests, Markdown export later) can
 * build the same ProseMirror schema with `getSchema(schemaExtensions())`.
 */
import type { Extensions } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';
import { TaskItem, TaskList } from '@tiptap/extension-list';
import { TableKit } from '@tiptap/extension-table';

export function schemaExtensions(): Extensions {
  return [
    StarterKit.configure({
      // Collaboration brings its own undo, limited to this user's edits.
      undoRedo: false,
      // Appending a paragraph after remote edits would make every viewer
      // write to the document, and concurrent viewers add one each.
      trailingNode: false,
      link: { openOnClick: false, autolink: true, defaultProtocol: 'https' },
      heading: { levels: [1, 2, 3] }
    }),
    TaskList,
    TaskItem.configure({ nested: true }),
    TableKit.configure({ table: { resizable: false } })
  ];
}
