// What the engine's non-obvious optimisations buy, each against the plain way: the sealed body cached for the store,
// the ledger's batch fold, valuation in safe or exact integers, and a slice's limits and execution in exact integers.
import { GENESIS_HASH, encodeForStore, sealEvents, type SealedEvent } from '../events/envelope.js';
import { domainEvent } from '../events/catalogue.js';
import { emptyLedger, evolveLedger, evolveLedgerAll, evolveLedgerExact, heldQuantities, ledgerValue, ledgerValueExact, type LedgerEvent, type RecordedLedgerEvent } from '../src/ledger/ledger.js';
import { dec, type Dec } from '../src/money/decimal.js';
import { exactOfDec, type Exact } from '../src/money/exact.js';
import { executeOrders, toFillRecordedData, toOrdersNettedData, type AcceptedOrder, type ExecutionSettings } from '../src/execution/index.js';
import { cashCostExact, exactCostModel, executeOrdersExact, ordersNettedDataExact } from '../src/execution/exactExecution.js';
import { applyOrderLimits, applyOrderLimitsExact, type RequestedOrder } from '../src/portfolio/orderLimits.js';
import { estimateCashCost } from '../src/portfolio/sliceExecution.js';

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
  // The same fills as the engine's books fold them: recorded decimal strings into a state kept exact.
  const recorded: RecordedLedgerEvent[] = fills.map((f) => (f.kind === 'fill' ? { kind: 'fill', fill: { symbol: f.fill.symbol, quantity: f.fill.quantity.toString(), price: f.fill.price.toString(), commission: f.fill.commission.toString() } } : { kind: 'transfer', amount: '1' }));
  // The engine's books are kept exact from their first event.
  const exactBase = evolveLedgerExact(emptyLedger(), [
    { kind: 'transfer', amount: dec('1000000') },
    ...Array.from({ length: 8 }, (_, i): LedgerEvent => ({ kind: 'fill', fill: { symbol: `S${i}`, quantity: dec('100'), price: dec('100'), commission: dec('1') } })),
  ]);
  const exactFold = best(() => {
    for (let i = 0; i < folds; i += 1) evolveLedgerExact(exactBase, recorded);
  });
  const exactMarks = new Map<string, Exact>([...marks].map(([s, m]) => [s, exactOfDec(m)]));
  const exactValue = best(() => {
    for (let i = 0; i < valuations; i += 1) ledgerValueExact(exactBase, (s) => exactMarks.get(s));
  });

  // A book like the side-by-side workload's: 20 positions of a few units each, marks in cents, cash with commissions.
  const book20 = evolveLedgerExact(emptyLedger(), [
    { kind: 'transfer', amount: dec('100000') },
    ...Array.from({ length: 20 }, (_, i): RecordedLedgerEvent => ({ kind: 'fill', fill: { symbol: `S${i}`, quantity: String(1 + (i % 13)), price: (100 + i * 1.37).toFixed(2), commission: '0.0035' } })),
  ]);
  const marks20 = new Map<string, Exact>(Array.from({ length: 20 }, (_, i) => [`S${i}`, exactOfDec(dec((99.5 + i * 1.41).toFixed(2)))]));
  const value20 = best(() => {
    for (let i = 0; i < valuations; i += 1) ledgerValueExact(book20, (s) => marks20.get(s));
  });

  // A trading slice's execution: 160 orders of 20 strategies on 20 symbols, per-share commission, 2 bps of slippage.
  const orders: AcceptedOrder[] = Array.from({ length: 160 }, (_, i) => ({ orderId: `o${i}`, strategyId: `s${i % 20}`, symbol: `S${i % 20}`, quantity: dec(String((i % 7) * 13 - 40 || 5)) }));
  const references = new Map(Array.from({ length: 20 }, (_, i) => [`S${i}`, dec((100 + i * 3.37).toFixed(2))]));
  const settings: ExecutionSettings = { commission: { kind: 'per-share', perShare: '0.005', minimum: '1' }, slippageBps: dec('2') };
  const slices = 200;
  const executeExact = best(() => {
    for (let i = 0; i < slices; i += 1) ordersNettedDataExact(executeOrdersExact(orders, (s) => references.get(s), settings)?.symbols ?? []);
  });
  const executeDecimal = best(() => {
    for (let i = 0; i < slices; i += 1) {
      const r = executeOrders(orders, (s) => references.get(s), settings);
      r.fills.map(toFillRecordedData);
      toOrdersNettedData(r.symbols);
    }
  });

  // One strategy's limits: 8 orders against 8 positions.
  const requested: RequestedOrder[] = Array.from({ length: 8 }, (_, i) => ({ symbol: `S${i}`, quantity: dec(String(i % 2 === 0 ? 25 + i : -(5 + i))) }));
  const execution = { fillAt: 'close' as const, commission: settings.commission, slippageBps: '2' };
  const costs = exactCostModel(settings.commission, settings.slippageBps);
  const limitRuns = 5000;
  const limitsExact = best(() => {
    for (let i = 0; i < limitRuns; i += 1) {
      applyOrderLimitsExact(requested, {
        cash: exactOfDec(base.cash), reservedCash: exactOfDec(dec(0)), held: heldQuantities(exactBase),
        maxExposure: exactOfDec(dec('2000000')), priceOf: (s) => exactMarks.get(s), markOf: (s) => exactMarks.get(s), cashCost: (q, p) => (costs === null ? null : cashCostExact(costs, q, p)),
      });
    }
  });
  const limitsDecimal = best(() => {
    for (let i = 0; i < limitRuns; i += 1) {
      applyOrderLimits(requested, { cash: base.cash, reservedCash: dec(0), positions: base.positions, value: dec('2000000'), maxExposure: dec('2000000'), priceOf: markOf, markOf, cashCost: (q, p) => estimateCashCost(execution, q, p) });
    }
  });
  return {
    storeBarMarkedMicroseconds: { cachedBody: round((cached * 1000) / events.length), recheckedAndRehashed: round((recomputed * 1000) / events.length) },
    fold12FillsMicroseconds: { batch: round((batch * 1000) / folds), oneByOne: round((oneByOne * 1000) / folds), exactRecorded: round((exactFold * 1000) / folds) },
    value8PositionsMicroseconds: { safeIntegers: round((scaled * 1000) / valuations), exactIntegers: round((exactValue * 1000) / valuations), decimal: round((decimal * 1000) / valuations) },
    value20PositionsMicroseconds: { exactIntegers: round((value20 * 1000) / valuations) },
    execute160OrdersMicroseconds: { exactIntegers: round((executeExact * 1000) / slices), decimal: round((executeDecimal * 1000) / slices) },
    limits8OrdersMicroseconds: { exactIntegers: round((limitsExact * 1000) / limitRuns), decimal: round((limitsDecimal * 1000) / limitRuns) },
  };
}
