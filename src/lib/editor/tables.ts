/**
 * Table editing on demand: the first time a document with a table is opened,
 * the caret enters a table, or a table button is pressed, the table editing
 * code loads (a separate chunk, precached for offline use like every other)
 * and is added to that editor. The toolbar runs table commands through here.
 */
import type { Editor } from '@tiptap/core';
import type { TableCommands } from './tableEditing.js';

export type { TableCommands };

const loaded = new WeakMap<Editor, Promise<TableCommands>>();

export function tables(editor: Editor): Promise<TableCommands> {
  let commands = loaded.get(editor);
  if (!commands) {
    commands = import('./tableEditing.js').then((module) => module.enableTables(editor));
    loaded.set(editor, commands);
  }
  return commands;
}

/** Whether this editor has table editing already (the toolbar's buttons work at once). */
export function tablesRequested(editor: Editor): boolean {
  return loaded.has(editor);
}
