/**
 * A Svelte action for a text field bound to shared text (a Y.Text field):
 * typing is sent on every input, and a remote edit that arrives while the
 * field has focus is merged into what is shown with the caret kept in place
 * (shifted when the remote edit landed before it), instead of the caret
 * jumping to the end or the remote edit being overwritten.
 */
export interface SyncedTextOptions {
  value: string;
  oninput: (value: string) => void;
}

type Field = HTMLInputElement | HTMLTextAreaElement;

/** Where `offset` in `before` ends up in `after`, given one contiguous change. */
export function mapOffset(before: string, after: string, offset: number): number {
  let start = 0;
  const max = Math.min(before.length, after.length);
  while (start < max && before[start] === after[start]) start++;
  let endBefore = before.length;
  let endAfter = after.length;
  while (endBefore > start && endAfter > start && before[endBefore - 1] === after[endAfter - 1]) {
    endBefore--;
    endAfter--;
  }
  if (offset <= start) return offset;
  if (offset >= endBefore) return offset + (after.length - before.length);
  return endAfter;
}

export function syncedText(node: Field, options: SyncedTextOptions) {
  let current = options;
  node.value = options.value;
  const onInput = () => current.oninput(node.value);
  node.addEventListener('input', onInput);
  return {
    update(next: SyncedTextOptions) {
      current = next;
      if (node.value === next.value) return;
      if (document.activeElement !== node) {
        node.value = next.value;
        return;
      }
      const before = node.value;
      const start = mapOffset(before, next.value, node.selectionStart ?? before.length);
      const end = mapOffset(before, next.value, node.selectionEnd ?? before.length);
      node.value = next.value;
      node.setSelectionRange(start, end);
    },
    destroy() {
      node.removeEventListener('input', onInput);
    }
  };
}
