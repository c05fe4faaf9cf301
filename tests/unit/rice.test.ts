import { describe, expect, it } from 'vitest';
import {
  CONFIDENCE_VALUES,
  IMPACT_VALUES,
  rankByRice,
  riceError,
  riceScore,
  validateRice,
  type RiceInput
} from '../../src/lib/model/rice.js';
import { FieldError } from '../../src/lib/model/fields.js';

const BASE: RiceInput = { reach: 1000, impact: 2, confidence: 80, effort: 4 };

describe('RICE score', () => {
  it('is reach × impact × confidence ÷ effort, confidence as a percentage', () => {
    expect(riceScore(BASE)).toBe(400);
    expect(riceScore({ reach: 500, impact: 3, confidence: 100, effort: 1 })).toBe(1500);
    expect(riceScore({ reach: 200, impact: 0.25, confidence: 50, effort: 0.5 })).toBe(50);
    expect(riceScore({ reach: 0, impact: 1, confidence: 100, effort: 2 })).toBe(0);
  });

  it('is rounded to two decimals', () => {
    // 10 × 1 × 1 ÷ 3 = 3.333…
    expect(riceScore({ reach: 10, impact: 1, confidence: 100, effort: 3 })).toBe(3.33);
    // 20 × 1 × 1 ÷ 3 = 6.666…
    expect(riceScore({ reach: 20, impact: 1, confidence: 100, effort: 3 })).toBe(6.67);
    // 1 × 0.25 × 0.5 ÷ 7 = 0.01785…
    expect(riceScore({ reach: 1, impact: 0.25, confidence: 50, effort: 7 })).toBe(0.02);
  });

  it('accepts every value on the impact and confidence scales', () => {
    expect([...IMPACT_VALUES]).toEqual([3, 2, 1, 0.5, 0.25]);
    expect([...CONFIDENCE_VALUES]).toEqual([100, 80, 50]);
    for (const impact of IMPACT_VALUES) {
      for (const confidence of CONFIDENCE_VALUES) {
        expect(riceError({ ...BASE, impact, confidence }), `${impact} / ${confidence}`).toBeNull();
      }
    }
  });
});

describe('RICE refusals', () => {
  const refused: [string, Partial<RiceInput>, RegExp][] = [
    ['effort 0', { ...BASE, effort: 0 }, /effort/i],
    ['negative effort', { ...BASE, effort: -1 }, /effort/i],
    ['effort that is not a number', { ...BASE, effort: Number.NaN }, /effort/i],
    ['infinite effort', { ...BASE, effort: Number.POSITIVE_INFINITY }, /effort/i],
    ['negative reach', { ...BASE, reach: -1 }, /reach/i],
    ['reach that is not a number', { ...BASE, reach: Number.NaN }, /reach/i],
    ['impact off the scale (4)', { ...BASE, impact: 4 }, /impact/i],
    ['impact off the scale (0.75)', { ...BASE, impact: 0.75 }, /impact/i],
    ['impact 0', { ...BASE, impact: 0 }, /impact/i],
    ['confidence as a fraction (0.8)', { ...BASE, confidence: 0.8 }, /confidence/i],
    ['confidence off the scale (90)', { ...BASE, confidence: 90 }, /confidence/i],
    ['confidence 0', { ...BASE, confidence: 0 }, /confidence/i]
  ];

  it.each(refused)('refuses %s, naming what to fix', (_name, input, names) => {
    const error = riceError(input);
    expect(error).toMatch(names);
    expect(() => validateRice(input)).toThrow(FieldError);
    expect(() => validateRice(input)).toThrow(names);
  });

  it.each(['reach', 'impact', 'confidence', 'effort'] as const)(
    'refuses a missing %s and asks for all four inputs',
    (key) => {
      const input: Partial<RiceInput> = { ...BASE };
      delete input[key];
      expect(riceError(input)).toMatch(/reach, impact, confidence and effort/);
      expect(() => validateRice(input)).toThrow(FieldError);
    }
  );

  it('refuses an empty input', () => {
    expect(riceError({})).not.toBeNull();
  });

  it('accepts reach 0 (nobody reached yet is a score of 0, not an error)', () => {
    expect(riceError({ ...BASE, reach: 0 })).toBeNull();
    expect(validateRice(BASE)).toEqual(BASE);
  });
});

describe('RICE ranking', () => {
  interface Option {
    name: string;
    rice: Partial<RiceInput>;
  }
  const withScore = (name: string, reach: number): Option => ({
    name,
    // impact 1, confidence 100 %, effort 1: the score is the reach.
    rice: { reach, impact: 1, confidence: 100, effort: 1 }
  });

  function rank(options: Option[]) {
    return rankByRice(options, (o) => o.rice).map((r) => [r.item.name, r.score, r.rank]);
  }

  it('ranks highest score first', () => {
    expect(rank([withScore('a', 10), withScore('b', 30), withScore('c', 20)])).toEqual([
      ['b', 30, 1],
      ['c', 20, 2],
      ['a', 10, 3]
    ]);
  });

  it('gives equal scores the same rank and skips the next ("1, 2, 2, 4")', () => {
    expect(
      rank([withScore('w', 5), withScore('x', 20), withScore('y', 20), withScore('z', 50)])
    ).toEqual([
      ['z', 50, 1],
      ['x', 20, 2],
      ['y', 20, 2],
      ['w', 5, 4]
    ]);
  });

  it('ties on the rounded score: 3.331 and 3.334 both show 3.33 and share a rank', () => {
    const ranked = rankByRice(
      [
        { name: 'p', rice: { reach: 3.331, impact: 1, confidence: 100, effort: 1 } },
        { name: 'q', rice: { reach: 3.334, impact: 1, confidence: 100, effort: 1 } }
      ],
      (o) => o.rice
    );
    expect(ranked.map((r) => [r.item.name, r.score, r.rank])).toEqual([
      ['p', 3.33, 1],
      ['q', 3.33, 1]
    ]);
  });

  it('keeps tied options in their own order, on every call', () => {
    const options = [withScore('first', 7), withScore('second', 7), withScore('third', 7)];
    const once = rank(options);
    expect(once).toEqual([
      ['first', 7, 1],
      ['second', 7, 1],
      ['third', 7, 1]
    ]);
    expect(rank(options)).toEqual(once);
  });

  it('puts options without a complete, valid score last, unranked, in their own order', () => {
    const options: Option[] = [
      { name: 'no inputs', rice: {} },
      withScore('low', 1),
      { name: 'zero effort', rice: { reach: 10, impact: 1, confidence: 100, effort: 0 } },
      withScore('high', 100),
      { name: 'only reach', rice: { reach: 10 } }
    ];
    expect(rank(options)).toEqual([
      ['high', 100, 1],
      ['low', 1, 2],
      ['no inputs', null, null],
      ['zero effort', null, null],
      ['only reach', null, null]
    ]);
  });

  it('ranks nothing when nothing is scored, and an empty list as empty', () => {
    expect(rank([{ name: 'a', rice: {} }])).toEqual([['a', null, null]]);
    expect(rankByRice([], () => ({}))).toEqual([]);
  });

  it('does not reorder the list it was given', () => {
    const options = [withScore('a', 1), withScore('b', 2)];
    rankByRice(options, (o) => o.rice);
    expect(options.map((o) => o.name)).toEqual(['a', 'b']);
  });
});
