/**
 * The table editing code, loaded on demand (tables.ts): prosemirror-tables'
 * plugin (cell selection, fixing malformed tables), Tab and Shift+Tab between
 * cells (Tab in the last cell adds a row), Backspace or Delete with every
 * cell selected deletes the table, and the commands the toolbar offers. As
 * TableKit's table extension does, with the same code underneath.
 */
import type { Editor } from '@tiptap/core';
import { findParentNodeClosestToPos } from '@tiptap/core';
import type { Command, EditorState } from '@tiptap/pm/state';
import { TextSelection } from '@tiptap/pm/state';
import { keymap } from '@tiptap/pm/keymap';
import {
  CellSelection,
  addColumnAfter,
  addRowAfter,
  deleteTable,
  goToNextCell,
  tableEditing
} from '@tiptap/pm/tables';
import { createTable } from '@tiptap/extension-table';

export interface TableCommands {
  insertTable(options: { rows: number; cols: number; withHeaderRow: boolean }): boolean;
  addRowAfter(): boolean;
  addColumnAfter(): boolean;
  deleteTable(): boolean;
}

function allCellsSelected(state: EditorState): boolean {
  const { selection } = state;
  if (!(selection instanceof CellSelection)) return false;
  const table = findParentNodeClosestToPos(
    selection.ranges[0].$from,
    (node) => node.type.name === 'table'
  );
  let cells = 0;
  table?.node.descendants((node) => {
    if (node.type.name === 'table') return false;
    if (node.type.name === 'tableCell' || node.type.name === 'tableHeader') cells += 1;
  });
  return cells === selection.ranges.length;
}

export function enableTables(editor: Editor): TableCommands {
  const run = (command: Command): boolean => {
    if (editor.isDestroyed) return false;
    const ok = command(editor.view.state, editor.view.dispatch, editor.view);
    if (ok) editor.view.focus();
    return ok;
  };
  const removeWhenAllSelected: Command = (state, dispatch) =>
    allCellsSelected(state) && deleteTable(state, dispatch);
  const keys = keymap({
    Tab: (state, dispatch, view) => {
      if (goToNextCell(1)(state, dispatch)) return true;
      if (!addRowAfter(state)) return false;
      if (!dispatch || !view) return true;
      addRowAfter(state, dispatch);
      return goToNextCell(1)(view.state, view.dispatch);
    },
    'Shift-Tab': goToNextCell(-1),
    Backspace: removeWhenAllSelected,
    'Mod-Backspace': removeWhenAllSelected,
    Delete: removeWhenAllSelected,
    'Mod-Delete': removeWhenAllSelected
  });
  if (!editor.isDestroyed) {
    // Before the other keymaps, as TableKit's shortcuts would be.
    editor.registerPlugin(keys, (plugin, plugins) => [plugin, ...plugins]);
    editor.registerPlugin(tableEditing({ allowTableNodeSelection: false }));
  }
  return {
    insertTable: ({ rows, cols, withHeaderRow }) =>
      run((state, dispatch) => {
        const node = createTable(state.schema, rows, cols, withHeaderRow);
        if (dispatch) {
          const tr = state.tr;
          const offset = tr.selection.from + 1;
          tr.replaceSelectionWith(node)
            .scrollIntoView()
            .setSelection(TextSelection.near(tr.doc.resolve(offset)));
          dispatch(tr);
        }
        return true;
      }),
    addRowAfter: () => run(addRowAfter),
    addColumnAfter: () => run(addColumnAfter),
    deleteTable: () => run(deleteTable)
  };
}
