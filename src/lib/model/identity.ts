/** Who is typing: a display name and caret colour, chosen once per device. */
import { cutToCodePoints } from './schema.js';

export interface Identity {
  userId: string;
  name: string;
  color: string;
}

/** Colours readable as caret and label backgrounds with white text (WCAG AA for bold labels). */
export const IDENTITY_COLORS = [
  '#1f6feb',
  '#8250df',
  '#bf3989',
  '#cf222e',
  '#bc4c00',
  '#1a7f37',
  '#0a7b83',
  '#57606a'
] as const;

/** What a screen reader says for each colour. */
export const COLOR_NAMES: Record<(typeof IDENTITY_COLORS)[number], string> = {
  '#1f6feb': 'Blue',
  '#8250df': 'Purple',
  '#bf3989': 'Pink',
  '#cf222e': 'Red',
  '#bc4c00': 'Orange',
  '#1a7f37': 'Green',
  '#0a7b83': 'Teal',
  '#57606a': 'Grey'
};

export const MAX_NAME_LENGTH = 40;

export function normalizeName(raw: string): string {
  return cutToCodePoints(raw.replace(/\s+/g, ' ').trim(), MAX_NAME_LENGTH);
}

export function isColor(value: unknown): value is string {
  return typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value);
}

/** Reads a stored identity; anything malformed gives null (the user picks again). */
export function parseIdentity(raw: string | null): Identity | null {
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<Identity>;
    const name = typeof value.name === 'string' ? normalizeName(value.name) : '';
    if (typeof value.userId !== 'string' || !value.userId || !name || !isColor(value.color)) {
      return null;
    }
    return { userId: value.userId, name, color: value.color };
  } catch {
    return null;
  }
}

export function pickColor(seed: number): string {
  return IDENTITY_COLORS[Math.abs(Math.floor(seed)) % IDENTITY_COLORS.length];
}
