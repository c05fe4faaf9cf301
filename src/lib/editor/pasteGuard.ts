/**
 * Refuses pastes too large to sync as one message. A paste becomes one Yjs
 * update; the relay closes any message over its cap (16 MiB by default), and
 * a client that keeps resending it would never sync again. Refusing here, with
 * a message, loses nothing: the clipboard still holds the text.
 */
import { Extension } from '@tiptap/core';
import { Plugin, PluginKey } from '@tiptap/pm/state';

/** 2 MB of text is about 350,000 words, several times the longest RFC we know of. */
export const MAX_PASTE_CHARS = 2_000_000;

export interface PasteRefused {
  chars: number;
  limit: number;
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
              const data = event.clipboardData;
              if (!data) return false;
              const chars = Math.max(
                data.getData('text/plain').length,
                data.getData('text/html').length
              );
              if (chars <= MAX_PASTE_CHARS) return false;
              options.onRefused?.({ chars, limit: MAX_PASTE_CHARS });
              return true;
            }
          }
        })
      ];
    }
  });
}
