/**
 * What the pages need to know about Markdown import without loading the
 * Markdown code itself (the parser, YAML and the serializer load on demand,
 * when a file is imported or exported).
 */

/** Files larger than this are refused before they are read. */
export const MAX_MARKDOWN_BYTES = 5 * 1024 * 1024;

/** Refused import: the message says, in plain words, what is wrong with the file. */
export class MarkdownImportError extends Error {
  override name = 'MarkdownImportError';
}
