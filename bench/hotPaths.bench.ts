// What the engine's non-obvious optimisations buy, each against the plain way: the sealed body cached for the store,
// the ledger's batch fold, and valuation in safe integers.
import { GENESIS_HASH, encodeForStore, sealEvents, type SealedEvent } from '../events/envelope.js';
import { domainEvent } from '../events/catalogue.js';
import { emptyLedger, evolveLedger, evolveLedgerAll, ledgerValue, type LedgerEvent } from '../src/ledger/ledger.js';
import { dec, type Dec } from '../src/money/decimal.js';

export const name = 'hot-paths';

function best(f: () => void, reps = 5): number {
  let b = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r += 1) {
    const t = performance.now();
    f();
    b = Math.min(b, performance.now() - t);
  }
  return b;
}

const round = (x: number): number => Number(x.toFixed(2));

/** Microseconds per operation, best of 5, for each optimisation and the code it replaces. */
export async function run(): Promise<Record<string, unknown>> {
  // A 100-strategy BarMarked, stored as sealed (cached body) or re-checked, re-encoded and re-hashed.
  const values: Record<string, string> = {};
  const cash: Record<string, string> = {};
  for (let i = 0; i < 100; i += 1) {
    values[`s${i}`] = '12345.67';
    cash[`s${i}`] = '234.5';
  }
  const pending = Array.from({ length: 2000 }, (_, i) => ({
    event: domainEvent('BarMarked', { marks: { AAA: '10.5', BBB: '20.25' }, strategyValues: values, strategyCash: cash, reserve: '100', portfolioValue: '1234667' }),
    barTime: new Date(Date.UTC(2020, 0, 1 + i)).toISOString(),
  }));
  const { events } = sealEvents({ portfolioId: 'p', nextRevision: 0, prevHash: GENESIS_HASH }, pending);
  const plain = events.map((e) => ({ type: e.type, data: e.data, metadata: e.metadata }) as SealedEvent);
  const cached = best(() => events.forEach((e) => encodeForStore(e)));
  const recomputed = best(() => plain.forEach((e) => encodeForStore(e)));

  // 12 fills into a ledger of 8 positions: one batch against one evolve per fill.
  let base = evolveLedger(emptyLedger(), { kind: 'transfer', amount: dec('1000000') });
  for (let i = 0; i < 8; i += 1) base = evolveLedger(base, { kind: 'fill', fill: { symbol: `S${i}`, quantity: dec('100'), price: dec('100'), commission: dec('1') } });
  const fills: LedgerEvent[] = Array.from({ length: 12 }, (_, i) => ({ kind: 'fill', fill: { symbol: `S${i % 8}`, quantity: dec(String(10 + i)), price: dec('101.25'), commission: dec('1') } }));
  const folds = 5000;
  const batch = best(() => {
    for (let i = 0; i < folds; i += 1) evolveLedgerAll(base, fills);
  });
  const oneByOne = best(() => {
    for (let i = 0; i < folds; i += 1) fills.reduce((s, f) => evolveLedger(s, f), base);
  });

  // The value of that ledger: safe integers against the same sum in Decimals.
  const marks = new Map<string, Dec>(Array.from({ length: 8 }, (_, i) => [`S${i}`, dec('101.37')]));
  const markOf = (s: string): Dec | undefined => marks.get(s);
  const valuations = 50_000;
  const scaled = best(() => {
    for (let i = 0; i < valuations; i += 1) ledgerValue(base, markOf);
  });
  const decimal = best(() => {
    for (let i = 0; i < valuations; i += 1) {
      let v = base.cash;
      for (const p of base.positions.values()) v = v.plus(p.quantity.times(markOf(p.symbol) as Dec));
    }
  });
  return {
    storeBarMarkedMicroseconds: { cachedBody: round((cached * 1000) / events.length), recheckedAndRehashed: round((recomputed * 1000) / events.length) },
    fold12FillsMicroseconds: { batch: round((batch * 1000) / folds), oneByOne: round((oneByOne * 1000) / folds) },
    value8PositionsMicroseconds: { safeIntegers: round((scaled * 1000) / valuations), decimal: round((decimal * 1000) / valuations) },
  };
}
