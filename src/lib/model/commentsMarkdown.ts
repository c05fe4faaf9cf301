/**
 * A document's comment threads as a Markdown file, for taking away what a
 * device wrote when the relay no longer accepts it. Pure.
 */
import type { Thread } from './comments.js';

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/** Quoted lines: every line of the text behind `> `. */
function quoted(text: string): string {
  return text
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}

export function threadsMarkdown(
  title: string,
  threads: readonly Thread[],
  nameOf: (id: string) => string
): string {
  const parts = [`# Comments on “${title || 'Untitled'}”`, ''];
  const sorted = [...threads].sort((a, b) => a.createdAt - b.createdAt);
  for (const thread of sorted) {
    const heading = thread.quote ? `“${thread.quote.replace(/\s+/g, ' ')}”` : 'The whole document';
    parts.push(`## ${heading}`, '');
    if (thread.resolution?.resolved) {
      parts.push(`Resolved by ${nameOf(thread.resolution.by)}, ${when(thread.resolution.at)}.`, '');
    }
    for (const comment of thread.comments) {
      if (comment.deletedAt !== null) continue;
      const label = comment.outcome ? ' (outcome)' : '';
      parts.push(`**${nameOf(comment.author)}**${label}, ${when(comment.createdAt)}:`, '');
      parts.push(quoted(comment.text), '');
    }
  }
  if (sorted.length === 0) parts.push('No comments.', '');
  return parts.join('\n');
}
