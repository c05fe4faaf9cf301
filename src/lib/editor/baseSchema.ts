/**
 * The rich-text schema's extensions other than tables. Tables come from
 * schemaExtensions.ts (the whole TableKit, for Node and Markdown) or from
 * lightTables.ts (the same nodes without their editing code, for the editor's
 * first load; the editing code loads on demand, see tables.ts).
 */
import type { Extensions } from '@tiptap/core';
import StarterKit from '@tiptap/starter-kit';
import { TaskItem, TaskList } from '@tiptap/extension-list';

export function baseExtensions(): Extensions {
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
    TaskItem.configure({ nested: true })
  ];
}
