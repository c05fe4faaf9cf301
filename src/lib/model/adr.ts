/**
 * ADR numbers, in order within the workspace. Derived the same way on every
 * device from the index (creation time, then id), so two ADRs created offline
 * at the same moment never show the same number. Once an ADR has been
 * accepted, the number it was accepted with is frozen in its entry
 * (`adrNumber`) and never changes; derived numbers skip frozen ones.
 */
export interface AdrEntry {
  id: string;
  createdAt: number;
  /** The frozen number, once accepted. */
  adrNumber: number | null;
  deletedAt?: number | null;
}

export function adrNumbers(entries: readonly AdrEntry[]): Map<string, number> {
  const numbers = new Map<string, number>();
  const taken = new Set<number>();
  for (const entry of entries) {
    if (entry.adrNumber !== null && entry.adrNumber > 0 && !numbers.has(entry.id)) {
      numbers.set(entry.id, entry.adrNumber);
      taken.add(entry.adrNumber);
    }
  }
  const rest = entries
    .filter((e) => !numbers.has(e.id))
    .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let next = 1;
  for (const entry of rest) {
    while (taken.has(next)) next++;
    numbers.set(entry.id, next);
    taken.add(next);
  }
  return numbers;
}

export function formatAdrNumber(n: number): string {
  return `ADR-${String(n).padStart(3, '0')}`;
}
