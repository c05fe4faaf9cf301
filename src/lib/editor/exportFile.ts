/**
 * Saving a document as a Markdown file on this device: the file name, and
 * the download itself (DOM).
 */
import { formatAdrNumber } from '../model/adr.js';

/** `adr-0007-use-postgres.md`, `weekly-update.md`: lower case, dashes, at most 60 characters. */
export function markdownFileName(title: string, adrNumber: number | null): string {
  const slug =
    (title || 'untitled')
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'untitled';
  return `${adrNumber ? formatAdrNumber(adrNumber).toLowerCase() + '-' : ''}${slug}.md`;
}

/** Hands a text file to the browser's downloads. */
export function downloadText(
  name: string,
  text: string,
  type = 'text/markdown;charset=utf-8'
): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
