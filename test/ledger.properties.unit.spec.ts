import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Dec, ZERO, dec } from '../src/money/decimal.js';
import { applyFill, costBasis, emptyLedger, evolveLedger, evolveLedgerAll, ledgerValue } from '../src/ledger/index.js';
import type { LedgerEvent } from '../src/ledger/index.js';
import type { LedgerState } from '../src/ledger/types.js';

const SYMBOLS = ['AAA', 'BBB', 'CCC'] as const;

/** n / 10^places as an exact decimal (built from integers, never from a binary fraction). */
const scaled = (n: number, places: number): Dec => new Dec(n).div(new Dec(10).pow(places));

const priceArb = fc.tuple(fc.integer({ min: 1, max: 50_000_000 }), fc.integer({ min: 0, max: 4 })).map(([n, p]) => scaled(n, p));
const quantityArb = fc
  .tuple(fc.integer({ min: 1, max: 2_000_000 }), fc.integer({ min: 0, max: 3 }), fc.boolean())
  .map(([n, p, sell]) => (sell ? scaled(-n, p) : scaled(n, p)));
const commissionArb = fc.integer({ min: 0, max: 100_000 }).map((n) => scaled(n, 4));

type Step =
  | { readonly kind: 'fill'; readonly symbol: string; readonly quantity: Dec; readonly price: Dec; readonly commission: Dec }
  | { readonly kind: 'transferIn'; readonly amount: Dec }
  /** Move out this fraction (in thousandths) of the cash held, when there is cash. */
  | { readonly kind: 'transferOut'; readonly thousandths: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('fill' as const), symbol: fc.constantFrom(...SYMBOLS), quantity: quantityArb, price: priceArb, commission: commissionArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('transferIn' as const), amount: fc.integer({ min: 1, max: 1_000_000_000 }).map((n) => scaled(n, 2)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('transferOut' as const), thousandths: fc.integer({ min: 1, max: 1000 }) }) },
);

/** Turns steps into ledger events, sizing transfers out within the cash held at that point. */
function toEvents(steps: readonly Step[]): LedgerEvent[] {
  const events: LedgerEvent[] = [];
  let state = emptyLedger();
  for (const step of steps) {
    let event: LedgerEvent | undefined;
    if (step.kind === 'fill') {
      const { symbol, quantity, price, commission } = step;
      event = { kind: 'fill', fill: { symbol, quantity, price, commission } };
    } else if (step.kind === 'transferIn') {
      event = { kind: 'transfer', amount: step.amount };
    } else if (state.cash.greaterThan(0)) {
      const out = state.cash.times(step.thousandths).div(1000).toDecimalPlaces(2, Dec.ROUND_DOWN);
      if (!out.isZero()) event = { kind: 'transfer', amount: out.negated() };
    }
    if (event !== undefined) {
      state = evolveLedger(state, event);
      events.push(event);
    }
  }
  return events;
}

const eventsArb = fc.array(stepArb, { minLength: 1, maxLength: 40 }).map(toEvents);
const marksArb = fc.record({ AAA: priceArb, BBB: priceArb, CCC: priceArb });

const fold = (events: readonly LedgerEvent[]): LedgerState => events.reduce(evolveLedger, emptyLedger());

/** An independent model: cash and quantities straight from the flows, without average costs or P&L. */
function model(events: readonly LedgerEvent[]): { cash: Dec; quantities: Map<string, Dec>; paid: Dec } {
  let cash = ZERO;
  let paid = ZERO; // Σ quantity × price
  const quantities = new Map<string, Dec>();
  for (const e of events) {
    if (e.kind === 'transfer') {
      cash = cash.plus(e.amount);
      continue;
    }
    const { symbol, quantity, price, commission } = e.fill;
    paid = paid.plus(quantity.times(price));
    cash = cash.minus(quantity.times(price)).minus(commission);
    quantities.set(symbol, (quantities.get(symbol) ?? ZERO).plus(quantity));
  }
  return { cash, quantities, paid };
}

describe('ledger properties over random fills and transfers', () => {
  it('(a) value = cash + Σ quantity × mark, matching an independent model of cash and holdings to the last digit', () => {
    fc.assert(
      fc.property(eventsArb, marksArb, (events, marks) => {
        const state = fold(events);
        const m = model(events);
        expect(state.cash.eq(m.cash)).toBe(true);
        for (const symbol of SYMBOLS) {
          const q = m.quantities.get(symbol) ?? ZERO;
          expect((state.positions.get(symbol)?.quantity ?? ZERO).eq(q)).toBe(true);
          expect(state.positions.has(symbol)).toBe(!q.isZero());
        }
        let expected = m.cash;
        for (const [symbol, q] of m.quantities) expected = expected.plus(q.times(marks[symbol as keyof typeof marks]));
        const value = ledgerValue(state, (s) => marks[s as keyof typeof marks]);
        expect(value.eq(expected), `${value.toString()} ≠ ${expected.toString()}`).toBe(true);
      }),
    );
  });

  it('(b) cash + costBasis − realisedPnl + commissions = transferredIn − transferredOut, exactly', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const s = fold(events);
        const left = s.cash.plus(costBasis(s)).minus(s.realizedPnl).plus(s.commissions);
        const right = s.transferredIn.minus(s.transferredOut);
        expect(left.eq(right), `${left.toString()} ≠ ${right.toString()}`).toBe(true);
      }),
    );
  });

  it('(b′) once every position is closed, realised P&L is exactly proceeds − cost (Σ −quantity × price)', () => {
    fc.assert(
      fc.property(eventsArb, marksArb, (events, marks) => {
        let s = fold(events);
        const closing: LedgerEvent[] = [...s.positions.values()].map((p) => ({
          kind: 'fill',
          fill: { symbol: p.symbol, quantity: p.quantity.negated(), price: marks[p.symbol as keyof typeof marks], commission: ZERO },
        }));
        s = closing.reduce(evolveLedger, s);
        expect(s.positions.size).toBe(0);
        const { paid } = model([...events, ...closing]);
        expect(s.realizedPnl.eq(paid.negated()), `${s.realizedPnl.toString()} ≠ ${paid.negated().toString()}`).toBe(true);
      }),
    );
  });

  it('(c) evolving the same events twice gives identical state', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const a = fold(events);
        const b = fold(events);
        const flat = (s: LedgerState): unknown => ({
          cash: s.cash.toString(),
          realizedPnl: s.realizedPnl.toString(),
          commissions: s.commissions.toString(),
          transferredIn: s.transferredIn.toString(),
          transferredOut: s.transferredOut.toString(),
          positions: [...s.positions.values()]
            .map((p) => [p.symbol, p.quantity.toString(), p.avgCost.toString(), p.realizedPnl.toString()])
            .sort(),
        });
        expect(flat(b)).toEqual(flat(a));
      }),
    );
  });

  it('never realises P&L when only one side is traded without reversal (adds only)', () => {
    // A property that would fail if average-cost rounding leaked more than its documented residual into realised P&L.
    fc.assert(
      fc.property(fc.array(fc.tuple(quantityArb, priceArb), { minLength: 1, maxLength: 20 }), (buys) => {
        let s = emptyLedger();
        for (const [q, p] of buys) s = applyFill(s, { symbol: 'AAA', quantity: q.abs(), price: p, commission: ZERO });
        const quantity = s.positions.get('AAA')?.quantity ?? ZERO;
        // Residual per add is at most quantity × ½·10⁻¹², so the total stays within buys × that bound.
        const bound = quantity.times(dec('0.0000000000005')).times(buys.length);
        expect(s.realizedPnl.abs().lte(bound)).toBe(true);
      }),
    );
  });

  it('(d) folding a batch at once (evolveLedgerAll) gives exactly the state of folding its events one by one', () => {
    const text = (l: LedgerState): unknown => ({
      cash: l.cash.toString(),
      realizedPnl: l.realizedPnl.toString(),
      commissions: l.commissions.toString(),
      transferredIn: l.transferredIn.toString(),
      transferredOut: l.transferredOut.toString(),
      positions: [...l.positions.values()].map((p) => [p.symbol, p.quantity.toString(), p.avgCost.toString(), p.realizedPnl.toString()]).sort(),
    });
    fc.assert(
      fc.property(eventsArb, fc.nat(), (events, cut) => {
        const k = events.length === 0 ? 0 : cut % events.length;
        const start = fold(events.slice(0, k));
        const startText = text(start);
        expect(text(evolveLedgerAll(start, events.slice(k)))).toEqual(text(events.slice(k).reduce(evolveLedger, start)));
        expect(text(start)).toEqual(startText); // the state folded from is never changed
      }),
    );
  });

  it('(e) a batch with a bad event throws and leaves the state it started from untouched', () => {
    const start = evolveLedgerAll(emptyLedger(), [
      { kind: 'transfer', amount: dec('1000') },
      { kind: 'fill', fill: { symbol: 'AAA', quantity: dec('10'), price: dec('20'), commission: dec('1') } },
    ]);
    const bad: LedgerEvent[] = [
      { kind: 'fill', fill: { symbol: 'AAA', quantity: dec('-4'), price: dec('25'), commission: dec('1') } },
      { kind: 'transfer', amount: dec('-5000') },
    ];
    expect(() => evolveLedgerAll(start, bad)).toThrow(/exceeds the ledger's cash/);
    expect(start.cash.toString()).toBe('799');
    expect(start.positions.get('AAA')?.quantity.toString()).toBe('10');
  });
});
