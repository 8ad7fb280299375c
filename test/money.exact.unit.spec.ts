import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec, decStr } from '../src/money/decimal.js';
import { Exact, add, cmp, decDivide, decMinus, decOf, decPlus, decTimes, exactOfDec, exactOfText, fits, mul, roundSignificant, sub, textOf, truncate } from '../src/money/exact.js';

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

describe("Decimal's rounded operations on exact integers", () => {
  // Values of up to 40 digits at any scale, signed, and ones built to land exactly half-way at the 34th digit.
  const exactArb = fc
    .tuple(fc.oneof(fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }), fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n })), fc.integer({ min: 0, max: 30 }))
    .map(([n, p]) => new Exact(n, p));
  const asDec = (x: Exact): Dec => new Dec(textOf(x));
  const same = (got: Exact, want: Dec): void => expect(textOf(got)).toBe(want.isZero() ? '0' : want.toString());

  it('read a Decimal from its digits exactly', () => {
    fc.assert(
      fc.property(exactArb, (x) => {
        expect(textOf(exactOfDec(asDec(x)))).toBe(textOf(x));
      }),
    );
    for (const t of ['0', '-0', '1e20', '1e-20', '10000000', '9999999', '0.0000001', '-123456789.123456789']) expect(textOf(exactOfDec(new Dec(t)))).toBe(decStr(new Dec(t)));
  });

  it('round sums, differences, products and quotients to 34 digits as decimal.js does', () => {
    fc.assert(
      fc.property(exactArb, exactArb, (a, b) => {
        const x = asDec(a);
        const y = asDec(b);
        same(decPlus(a, b), x.plus(y));
        same(decMinus(a, b), x.minus(y));
        same(decTimes(a, b), x.times(y));
        if (b.units !== 0n) same(decDivide(a, b), x.div(y));
        same(roundSignificant(a, 30), x.toSignificantDigits(30));
        same(truncate(a), x.trunc());
      }),
      { numRuns: 2000 },
    );
  });

  it('break exact ties at the 34th digit to even, and a quotient just past half up', () => {
    const tie = fc.tuple(fc.bigInt({ min: 10n ** 33n, max: 10n ** 34n - 1n }), fc.integer({ min: 0, max: 20 }), fc.bigInt({ min: 1n, max: 10n ** 6n }), fc.integer({ min: 0, max: 6 }));
    fc.assert(
      fc.property(tie, ([k, p, m, q]) => {
        // c = k.5 at 35 digits, b any: a = b × c makes a / b land exactly half-way; a + 1 unit lands just past it.
        const c = new Exact(k * 10n + 5n, p);
        const b = new Exact(m, q);
        const a = mul(b, c);
        same(decDivide(a, b), asDec(a).div(asDec(b)));
        const beyond = add(a, new Exact(1n, a.scale + 3));
        same(decDivide(beyond, b), asDec(beyond).div(asDec(b)));
        same(roundSignificant(c, 34), asDec(c).toSignificantDigits(34));
        same(decTimes(c, new Exact(1n, 0)), asDec(c).times(1));
      }),
      { numRuns: 1000 },
    );
  });
});
