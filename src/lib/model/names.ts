/** Display names and colours, shared by the device identity and the member list. */
import { cutToCodePoints } from './schema.js';

export const MAX_NAME_LENGTH = 40;

export function normalizeName(raw: string): string {
  return cutToCodePoints(raw.replace(/\s+/g, ' ').trim(), MAX_NAME_LENGTH);
}

export function isColor(value: unknown): value is string {
  return typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value);
}
