/**
 * What the Link control makes of a typed address: one without a scheme
 * ("example.org/plan") gets https://, as the link extension's autolink does;
 * a relative path or a fragment is kept as typed.
 */
export function withProtocol(url: string): string {
  const trimmed = url.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(trimmed)) return trimmed;
  if (trimmed.startsWith('/') || trimmed.startsWith('#') || trimmed.startsWith('?')) return trimmed;
  return `https://${trimmed}`;
}
