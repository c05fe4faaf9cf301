/**
 * RICE prioritisation (DOMAIN.md): score = reach × impact × confidence ÷
 * effort. People enter the four inputs; the app computes and ranks.
 */
import { FieldError } from './fields.js';

/** Impact scale: massive, high, medium, low, minimal. */
export const IMPACT_VALUES = [3, 2, 1, 0.5, 0.25] as const;
export const IMPACT_LABELS: Record<number, string> = {
  3: '3 — massive',
  2: '2 — high',
  1: '1 — medium',
  0.5: '0.5 — low',
  0.25: '0.25 — minimal'
};
/** Confidence as a percentage: high, medium, low. */
export const CONFIDENCE_VALUES = [100, 80, 50] as const;

export interface RiceInput {
  /** People or events per period. */
  reach: number;
  impact: number;
  /** Percent: 100, 80 or 50. */
  confidence: number;
  /** Person-months. */
  effort: number;
}

/** Checks the four inputs; the message says what to fix. */
export function riceError(input: Partial<RiceInput>): string | null {
  const { reach, impact, confidence, effort } = input;
  if (
    reach === undefined ||
    impact === undefined ||
    confidence === undefined ||
    effort === undefined
  )
    return 'Fill in reach, impact, confidence and effort to get a score.';
  if (!Number.isFinite(reach) || reach < 0)
    return 'Reach is a number of people or events: 0 or more.';
  if (!(IMPACT_VALUES as readonly number[]).includes(impact))
    return 'Impact is one of 3, 2, 1, 0.5 or 0.25.';
  if (!(CONFIDENCE_VALUES as readonly number[]).includes(confidence))
    return 'Confidence is 100%, 80% or 50%.';
  if (!Number.isFinite(effort) || effort <= 0)
    return 'Effort is in person-months and must be more than 0.';
  return null;
}

export function validateRice(input: Partial<RiceInput>): RiceInput {
  const error = riceError(input);
  if (error) throw new FieldError(error);
  return input as RiceInput;
}

/** The score, rounded to two decimals for display and ranking. */
export function riceScore(input: RiceInput): number {
  const raw = (input.reach * input.impact * (input.confidence / 100)) / input.effort;
  return Math.round(raw * 100) / 100;
}

export interface Ranked<T> {
  item: T;
  score: number | null;
  /** 1-based; options with equal scores share a rank; unscored ones have none. */
  rank: number | null;
}

/**
 * Ranks options by score, highest first. Equal (rounded) scores share a rank
 * ("1, 2, 2, 4"); options without complete inputs follow, unranked, in their
 * own order.
 */
export function rankByRice<T>(
  items: readonly T[],
  inputOf: (item: T) => Partial<RiceInput>
): Ranked<T>[] {
  const scored = items.map((item, index) => {
    const input = inputOf(item);
    return { item, index, score: riceError(input) ? null : riceScore(input as RiceInput) };
  });
  const withScore = scored
    .filter((s) => s.score !== null)
    .sort((a, b) => (b.score as number) - (a.score as number) || a.index - b.index);
  const ranked: Ranked<T>[] = [];
  withScore.forEach((s, i) => {
    const previous = ranked[i - 1];
    const rank = previous && previous.score === s.score ? (previous.rank as number) : i + 1;
    ranked.push({ item: s.item, score: s.score, rank });
  });
  for (const s of scored)
    if (s.score === null) ranked.push({ item: s.item, score: null, rank: null });
  return ranked;
}
