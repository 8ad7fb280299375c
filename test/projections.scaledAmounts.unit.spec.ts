import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec, ZERO, decStr } from '../src/money/decimal.js';
import { emptyLedger, evolveLedger } from '../src/ledger/index.js';
import type { LedgerState } from '../src/ledger/types.js';
import { GENESIS_HASH, domainEvent, sealEvents, type DomainEvent, type RecordedEvent } from '../events/index.js';
import { encodeState } from '../projections/projection.js';
import { createFoldContext } from '../projections/foldContext.js';
import { positionsProjection, type PositionsState } from '../projections/positions.js';
import { tradesProjection, type TradesState } from '../projections/trades.js';
import { Scaled, compare, minus, plus, scaledOfText, textOf, times, toDec, type Amount } from '../src/money/scaledAmounts.js';

/** n / 10^places as canonical decimal text (built from integers, never from a binary fraction). */
const text = (n: bigint, places: number): string => decStr(new Dec(n.toString()).div(new Dec(10).pow(places)));

// Small amounts (the safe-integer path) and amounts of up to 30 digits (the Decimal path), signed.
const textArb = fc
  .tuple(fc.oneof(fc.bigInt({ min: -(10n ** 7n), max: 10n ** 7n }), fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n })), fc.integer({ min: 0, max: 12 }))
  .map(([n, p]) => text(n, p));

const amountOf = (t: string): Amount => scaledOfText(t) ?? new Dec(t);
const exactly = (a: Amount): string => decStr(toDec(a));

describe('safe-integer amounts', () => {
  it('parse exactly the plain decimal texts of up to 15 significant digits, and nothing else', () => {
    expect(scaledOfText('-12.340')).toEqual({ units: -12340, places: 3 });
    expect(scaledOfText('0.000001')).toEqual({ units: 1, places: 6 });
    expect(scaledOfText('999999999999999')).toEqual({ units: 999999999999999, places: 0 });
    for (const bad of ['', '-', '.5', '5.', '1e5', '+1', '1.2.3', '9999999999999999', ' 1']) expect(scaledOfText(bad)).toBeNull();
    fc.assert(
      fc.property(textArb, (t) => {
        const s = scaledOfText(t);
        if (s !== null) expect(decStr(toDec(s))).toBe(t);
        // Written back as decStr writes it, also from a non-canonical form (trailing zeros) and from the Decimal path.
        if (s !== null && Math.abs(s.units) * 100 <= Number.MAX_SAFE_INTEGER) expect(textOf(new Scaled(s.units * 100, s.places + 2))).toBe(t);
        expect(textOf(amountOf(t))).toBe(t);
      }),
    );
  });

  it('add, subtract, multiply and compare to the same values as Decimal, whichever path they take', () => {
    fc.assert(
      fc.property(textArb, textArb, (x, y) => {
        const a = amountOf(x);
        const b = amountOf(y);
        const dx = new Dec(x);
        const dy = new Dec(y);
        expect(exactly(plus(a, b, (p, q) => p.plus(q)))).toBe(decStr(dx.plus(dy)));
        expect(exactly(minus(a, b, (p, q) => p.minus(q)))).toBe(decStr(dx.minus(dy)));
        expect(exactly(times(a, b, (p, q) => p.times(q)))).toBe(decStr(dx.times(dy)));
        expect(compare(a, b)).toBe(dx.comparedTo(dy));
      }),
      { numRuns: 500 },
    );
  });
});

// Fills that open, add to, reduce, close and flip positions, with amounts small enough for safe integers and large
// enough to need Decimals (and some that the ledger refuses: more than 34 significant digits).
const fillArb = fc.record({
  strategy: fc.constantFrom('a', 'b'),
  symbol: fc.constantFrom('X', 'Y'),
  quantity: fc
    .tuple(fc.oneof(fc.bigInt({ min: 1n, max: 300n }), fc.bigInt({ min: 1n, max: 10n ** 20n })), fc.integer({ min: 0, max: 3 }), fc.boolean())
    .map(([n, p, sell]) => text(sell ? -n : n, p)),
  price: fc
    .tuple(fc.oneof(fc.bigInt({ min: 1n, max: 100_000n }), fc.bigInt({ min: 1n, max: 10n ** 18n })), fc.integer({ min: 0, max: 4 }))
    .map(([n, p]) => text(n, p)),
  commission: fc.bigInt({ min: 0n, max: 1000n }).map((n) => text(n, 2)),
});

function recorded(events: DomainEvent[]): RecordedEvent[] {
  const sealed = sealEvents({ portfolioId: 'p', nextRevision: 0, prevHash: GENESIS_HASH }, events.map((event) => ({ event, barTime: null }))).events;
  return sealed.map((e, i) => ({ ...e, stream: 'portfolio-p', position: i + 1 }));
}

type FillData = { strategy: string; symbol: string; quantity: string; price: string; commission: string };
const fillEvent = (f: FillData, i: number): DomainEvent =>
  domainEvent('FillRecorded', { orderId: `o${i}`, strategyId: f.strategy, symbol: f.symbol, quantity: f.quantity, price: f.price, commission: f.commission, slippage: '0' });

/** The old trades fold, all in Decimal operations: the reference the safe-integer path must agree with. */
function referenceTrades(fills: readonly FillData[]): { open: Map<string, { quantity: Dec; cashFlow: Dec; fills: number }>; pnls: string[] } {
  const open = new Map<string, { quantity: Dec; cashFlow: Dec; fills: number }>();
  const pnls: string[] = [];
  for (const f of fills) {
    const q = new Dec(f.quantity);
    const px = new Dec(f.price);
    const commission = new Dec(f.commission);
    const key = `${f.strategy}\u0000${f.symbol}`;
    const trip = open.get(key) ?? { quantity: ZERO, cashFlow: ZERO, fills: 0 };
    const after = trip.quantity.plus(q);
    const crosses = !trip.quantity.isZero() && (after.isZero() || after.isNegative() !== trip.quantity.isNegative());
    if (!crosses) {
      open.set(key, { quantity: after, cashFlow: trip.cashFlow.minus(q.times(px)).minus(commission), fills: trip.fills + 1 });
      continue;
    }
    const closing = trip.quantity.negated();
    pnls.push(decStr(trip.cashFlow.minus(closing.times(px)).minus(commission)));
    const rest = q.minus(closing);
    if (rest.isZero()) open.delete(key);
    else open.set(key, { quantity: rest, cashFlow: rest.times(px).negated(), fills: 1 });
  }
  return { open, pnls };
}

describe('positions and trades folds in safe integers', () => {
  it('positions equal the src/ledger fold of the same fills, in place and through evolve, or fail where it fails', () => {
    fc.assert(
      fc.property(fc.array(fillArb, { maxLength: 40 }), (fills) => {
        const events = recorded([
          domainEvent('CapitalTransferred', { from: 'reserve', to: 'a', amount: '1000000', reason: 'initial allocation', rebalanceId: null }),
          ...fills.map(fillEvent),
        ]);
        // Reference: src/ledger, one pure evolve per fill; stop at the first fill it refuses.
        const ledgers = new Map<string, LedgerState>([['a', evolveLedger(emptyLedger(), { kind: 'transfer', amount: new Dec('1000000') })]]);
        let refused = -1;
        for (let i = 0; i < fills.length; i += 1) {
          const f = fills[i] as FillData;
          try {
            const fill = { symbol: f.symbol, quantity: new Dec(f.quantity), price: new Dec(f.price), commission: new Dec(f.commission) };
            ledgers.set(f.strategy, evolveLedger(ledgers.get(f.strategy) ?? emptyLedger(), { kind: 'fill', fill }));
          } catch {
            refused = i;
            break;
          }
        }
        const folded = refused < 0 ? events : events.slice(0, refused + 1);
        const fold = positionsProjection.inPlace;
        if (fold === undefined) throw new Error('positions folds in place');
        const work = fold.begin(positionsProjection.init());
        const context = createFoldContext();
        let evolved: PositionsState = positionsProjection.init();
        for (const e of folded) {
          evolved = positionsProjection.evolve(evolved, e);
          fold.step(work, e, context);
        }
        expect(JSON.stringify(encodeState(fold.end(work).ledgers))).toBe(JSON.stringify(encodeState(ledgers)));
        expect(JSON.stringify(encodeState(evolved.ledgers))).toBe(JSON.stringify(encodeState(ledgers)));
        if (refused >= 0) {
          const failing = events[refused + 1] as RecordedEvent;
          expect(() => positionsProjection.evolve(evolved, failing)).toThrow(/significant digits|must|quantity/);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('trades equal the all-Decimal fold of the same fills (open trips and every round-trip P&L)', () => {
    fc.assert(
      fc.property(fc.array(fillArb, { maxLength: 40 }), (fills) => {
        const events = recorded(fills.map(fillEvent));
        const projection = tradesProjection({ keep: 1000 });
        const state = events.reduce<TradesState>((s, e) => projection.evolve(s, e), projection.init());
        const reference = referenceTrades(fills);
        expect(state.recent.map((t) => t.pnl)).toEqual(reference.pnls);
        expect([...state.open].map(([k, t]) => [k, decStr(t.quantity), decStr(t.cashFlow), t.fills])).toEqual(
          [...reference.open].map(([k, t]) => [k, decStr(t.quantity), decStr(t.cashFlow), t.fills]),
        );
      }),
      { numRuns: 300 },
    );
  });
});
