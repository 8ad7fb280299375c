import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec, decStr } from '../src/money/decimal.js';
import { Exact, add, cmp, decOf, exactOfDec, exactOfText, fits, mul, sub, textOf } from '../src/money/exact.js';

const text = (n: bigint, places: number): string => decStr(new Dec(n.toString()).div(new Dec(10).pow(places)));
const textArb = fc
  .tuple(fc.oneof(fc.bigInt({ min: -(10n ** 9n), max: 10n ** 9n }), fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n })), fc.integer({ min: 0, max: 20 }))
  .map(([n, p]) => text(n, p));

describe('exact decimals in bigint units', () => {
  it('read plain decimal texts only, and write them back as decStr does', () => {
    expect(exactOfText('-12.340')).toEqual(new Exact(-12340n, 3));
    expect(textOf(new Exact(-12340n, 3))).toBe('-12.34');
    expect(textOf(new Exact(5n, 3))).toBe('0.005');
    expect(textOf(new Exact(1200n, 0))).toBe('1200');
    expect(textOf(new Exact(0n, 4))).toBe('0');
    for (const bad of ['', '-', '.5', '5.', '1e5', '+1', '1.2.3', ' 1', 'NaN']) expect(exactOfText(bad)).toBeNull();
    fc.assert(
      fc.property(textArb, fc.integer({ min: 0, max: 5 }), (t, zeros) => {
        const x = exactOfText(t);
        expect(x === null ? null : textOf(x)).toBe(t);
        // Also from a form with trailing zeros, and through a Decimal and back.
        const padded = t.includes('.') ? t + '0'.repeat(zeros) : t;
        expect(textOf(exactOfText(padded) as Exact)).toBe(t);
        expect(textOf(exactOfDec(new Dec(t)))).toBe(t);
        expect(decStr(decOf(exactOfText(t) as Exact))).toBe(t);
      }),
    );
  });

  it('add, subtract, multiply and compare exactly; a result fits exactly when Decimal (34 digits) holds it unrounded', () => {
    const Wide = Dec.clone({ precision: 200 });
    fc.assert(
      fc.property(textArb, textArb, (a, b) => {
        const x = exactOfText(a) as Exact;
        const y = exactOfText(b) as Exact;
        const wa = new Wide(a);
        const wb = new Wide(b);
        for (const [got, want] of [[add(x, y), wa.plus(wb)], [sub(x, y), wa.minus(wb)], [mul(x, y), wa.times(wb)]] as const) {
          expect(textOf(got)).toBe(want.isZero() ? '0' : want.toString());
          expect(fits(got)).toBe(want.sd() <= 34);
        }
        expect(cmp(x, y)).toBe(wa.comparedTo(wb));
      }),
      { numRuns: 500 },
    );
  });
});
