/**
 * Comment text is plain text with mentions and links. It is split here into
 * tokens that a component renders as text nodes and anchors: markup or script
 * typed into a comment is shown as typed, never parsed as HTML. Link
 * detection is linkifyjs (already what tiptap's link extension uses); only
 * http(s) and mailto links become clickable.
 */
import { find } from 'linkifyjs';

export type TextToken =
  | { type: 'text'; text: string }
  | { type: 'link'; text: string; href: string }
  | { type: 'mention'; text: string; personId: string };

const SAFE_LINK = /^(https?:|mailto:)/i;

/** Only http(s) and mailto: anything else (javascript:, data:) stays text. */
export function isSafeHref(href: string): boolean {
  return SAFE_LINK.test(href);
}

function pushText(tokens: TextToken[], text: string): void {
  if (!text) return;
  const last = tokens[tokens.length - 1];
  if (last?.type === 'text') last.text += text;
  else tokens.push({ type: 'text', text });
}

/**
 * Finds "@Name" of a member in plain text: the longest matching name wins
 * ("@Ana Lima" over "@Ana"), and a name must end at a word boundary.
 */
function splitMentions(
  tokens: TextToken[],
  text: string,
  people: readonly { id: string; name: string }[]
): void {
  const byLength = [...people].filter((p) => p.name).sort((a, b) => b.name.length - a.name.length);
  let rest = text;
  while (rest) {
    const at = rest.indexOf('@');
    if (at === -1) break;
    const after = rest.slice(at + 1);
    const before = at === 0 ? '' : rest[at - 1];
    const person = /[\p{L}\p{N}_]/u.test(before)
      ? undefined
      : byLength.find(
          (p) =>
            after.toLowerCase().startsWith(p.name.toLowerCase()) &&
            !/[\p{L}\p{N}_]/u.test(after.charAt(p.name.length))
        );
    if (!person) {
      pushText(tokens, rest.slice(0, at + 1));
      rest = after;
      continue;
    }
    pushText(tokens, rest.slice(0, at));
    tokens.push({
      type: 'mention',
      text: '@' + after.slice(0, person.name.length),
      personId: person.id
    });
    rest = after.slice(person.name.length);
  }
  pushText(tokens, rest);
}

export function tokenizeComment(
  text: string,
  people: readonly { id: string; name: string }[] = []
): TextToken[] {
  const tokens: TextToken[] = [];
  let cursor = 0;
  for (const link of find(text)) {
    if (link.type !== 'url' && link.type !== 'email') continue;
    if (!isSafeHref(link.href)) continue;
    splitMentions(tokens, text.slice(cursor, link.start), people);
    tokens.push({ type: 'link', text: link.value, href: link.href });
    cursor = link.end;
  }
  splitMentions(tokens, text.slice(cursor), people);
  return tokens;
}

/** Person ids mentioned in a text, for suggesting who to ask. */
export function mentionedPeople(
  text: string,
  people: readonly { id: string; name: string }[]
): string[] {
  return [
    ...new Set(
      tokenizeComment(text, people).flatMap((t) => (t.type === 'mention' ? [t.personId] : []))
    )
  ];
}
