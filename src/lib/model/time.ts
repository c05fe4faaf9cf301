/**
 * Intl formatters are expensive to build (a profile of a document with 2,000
 * comments spent most of its time constructing them), so each distinct
 * locale + options pair is built once and reused.
 */
const dateFormats = new Map<string, Intl.DateTimeFormat>();
const relativeFormats = new Map<string, Intl.RelativeTimeFormat>();

export function dateFormat(
  locale: string | undefined,
  options: Intl.DateTimeFormatOptions
): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, options);
    dateFormats.set(key, format);
  }
  return format;
}

function relativeFormat(locale: string | undefined): Intl.RelativeTimeFormat {
  const key = locale ?? '';
  let format = relativeFormats.get(key);
  if (!format) {
    format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' });
    relativeFormats.set(key, format);
  }
  return format;
}

/** Short relative times for lists ("3 min ago"), using the platform's Intl. */
const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600_000],
  ['month', 30 * 24 * 3600_000],
  ['week', 7 * 24 * 3600_000],
  ['day', 24 * 3600_000],
  ['hour', 3600_000],
  ['minute', 60_000]
];

export function formatRelative(timestamp: number, now: number, locale?: string): string {
  if (!timestamp) return 'never';
  const diff = timestamp - now;
  if (Math.abs(diff) < 45_000) return 'just now';
  const format = relativeFormat(locale);
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms || unit === 'minute')
      return format.format(Math.round(diff / ms), unit);
  }
  return 'just now';
}

/** Full date and time in the reader's own time zone, for tooltips. */
export function formatAbsolute(timestamp: number, locale?: string, timeZone?: string): string {
  return dateFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(
    timestamp
  );
}
