/**
 * Refuses pastes too large to sync as one message. A paste becomes one Yjs
 * update; the relay closes any message over its cap (16 MiB by default), and
 * a client that keeps resending it would never sync again. Refusing here, with
 * a message, loses nothing: the clipboard still holds the text.
 */
import { Extension } from '@tiptap/core';
import { Plugin, PluginKey } from '@tiptap/pm/state';

/**
 * 4 MB of UTF-8 (about 700,000 English words, several times the longest RFC
 * we know of) stays well inside the relay's 16 MiB message cap even with the
 * rest of a day's offline edits in the same reconnect message.
 */
export const MAX_PASTE_BYTES = 4 * 1024 * 1024;

export interface PasteRefused {
  bytes: number;
  limit: number;
}

function transferBytes(data: DataTransfer | null): number {
  if (!data) return 0;
  const encoder = new TextEncoder();
  return Math.max(
    encoder.encode(data.getData('text/plain')).byteLength,
    encoder.encode(data.getData('text/html')).byteLength
  );
}

export function pasteGuard(options: { onRefused?: (refusal: PasteRefused) => void }) {
  return Extension.create({
    name: 'pasteGuard',
    addProseMirrorPlugins() {
      return [
        new Plugin({
          key: new PluginKey('pasteGuard'),
          props: {
            handlePaste(_view, event) {
              const bytes = transferBytes(event.clipboardData);
              if (bytes <= MAX_PASTE_BYTES) return false;
              options.onRefused?.({ bytes, limit: MAX_PASTE_BYTES });
              return true;
            },
            handleDrop(_view, event) {
              const bytes = transferBytes((event as DragEvent).dataTransfer);
              if (bytes <= MAX_PASTE_BYTES) return false;
              options.onRefused?.({ bytes, limit: MAX_PASTE_BYTES });
              return true;
            }
          }
        })
      ];
    }
  });
}
