// A small hand-made portfolio log (two strategies, fills, one rebalance) whose every number is worked out by hand in the comments.
import { GENESIS_HASH, domainEvent, portfolioStream, sealEvents, type ChainHead, type DomainEvent, type EventStore, type PendingEvent } from '../src/index.js';

export const PORTFOLIO = 'p1';
export const STREAM = portfolioStream(PORTFOLIO);
export const T1 = '2024-01-01T00:00:00.000Z';
export const T2 = '2024-01-02T00:00:00.000Z';
export const T3 = '2024-01-03T00:00:00.000Z';

const added = (strategyId: string, capital: string): DomainEvent =>
  domainEvent('StrategyAdded', {
    strategyId,
    kind: 'test',
    parameters: {},
    allocationPct: '0.5',
    capital,
    minAllocation: null,
    maxAllocation: null,
    metadata: {},
  });
const transfer = (from: string, to: string, amount: string, rebalanceId: string | null = null): DomainEvent =>
  domainEvent('CapitalTransferred', { from, to, amount, reason: rebalanceId ? 'rebalance' : 'initial allocation', rebalanceId });
const fill = (strategyId: string, symbol: string, quantity: string, price: string, commission: string, n: number): DomainEvent =>
  domainEvent('FillRecorded', { orderId: `o${n}`, strategyId, symbol, quantity, price, commission, slippage: '0' });
const mark = (marks: Record<string, string>, a: string, b: string, cashA: string, cashB: string, reserve: string, pv: string): DomainEvent =>
  domainEvent('BarMarked', { marks, strategyValues: { a, b }, strategyCash: { a: cashA, b: cashB }, reserve, portfolioValue: pv });
const running = (strategyId: string): DomainEvent =>
  domainEvent('StrategyLifecycleChanged', { strategyId, from: 'initializing', to: 'running', reason: 'started' });

/**
 * The log, appended as five batches (setup, then one per slice):
 * - capital 1000; a gets 600, b gets 300, reserve 100.
 * - T1: a buys 10 X @ 50 (commission 1) → cash 99; b sells 5 Y @ 20 → cash 400. Marks X 51, Y 20: a 609, b 300, PV 1009.
 * - T2: a sells 10 X @ 55 (commission 1) → cash 648, flat. Marks X 55, Y 18: a 648, b 310, PV 1058.
 * - T3: rebalance r1 to targets a 600, b 350 from recorded values a 648, b 310 moves 48 a → reserve and 40 reserve → b:
 *   a 600, b cash 440, reserve 108. Mark Y 19: b 345, PV 1053.
 * Returns (the rebalance's transfers come after the slice's execution, so they leave the closing value): a 609/600−1 =
 * 0.015, 648/609−1, (600+48)/648−1 = 0; b 0, 310/300−1 = 1/30, (345−40)/310−1 = −1/62 (the 40 moved in earned nothing).
 */
export function fixtureBatches(): PendingEvent[][] {
  const none = (events: DomainEvent[]): PendingEvent[] => events.map((event) => ({ event, barTime: null }));
  const at = (barTime: string, events: DomainEvent[]): PendingEvent[] => events.map((event) => ({ event, barTime }));
  return [
    none([
      domainEvent('PortfolioOpened', {
        portfolioId: PORTFOLIO,
        name: 'fixture',
        baseCurrency: 'USD',
        totalCapital: '1000',
        configHash: 'h',
        codeVersion: 'test',
        config: {},
      }),
      added('a', '600'),
      transfer('reserve', 'a', '600'),
      added('b', '300'),
      transfer('reserve', 'b', '300'),
    ]),
    at(T1, [
      running('a'),
      running('b'),
      fill('a', 'X', '10', '50', '1', 1),
      fill('b', 'Y', '-5', '20', '0', 2),
      mark({ X: '51', Y: '20' }, '609', '300', '99', '400', '100', '1009'),
    ]),
    at(T2, [fill('a', 'X', '-10', '55', '1', 3), mark({ X: '55', Y: '18' }, '648', '310', '648', '400', '100', '1058')]),
    at(T3, [
      domainEvent('RebalanceDecided', {
        rebalanceId: 'r1',
        trigger: 'schedule',
        reason: 'monthly',
        algorithm: 'equal-weight',
        parameters: {},
        inputs: { a: { value: '648' }, b: { value: '310' } },
        weightsBefore: { a: 0.6125, b: 0.293 },
        rawWeights: { a: 0.5, b: 0.5 },
        // Each target is its final weight × the portfolio value, rounded down to the cent: 600.0000524 and 350.0000482.
        finalWeights: { a: 0.5671078, b: 0.3308129 },
        bindingConstraints: ['max:b'],
        solver: null,
        portfolioValue: '1058',
        targets: { a: '600', b: '350' },
      }),
      transfer('a', 'reserve', '48', 'r1'),
      transfer('reserve', 'b', '40', 'r1'),
      domainEvent('BarMarked', {
        marks: { Y: '19' },
        strategyValues: { a: '600', b: '345' },
        strategyCash: { a: '600', b: '440' },
        reserve: '108',
        portfolioValue: '1053',
      }),
    ]),
  ];
}

/** Appends `batches` (each atomically) to `store`, continuing from `head`. */
export async function appendBatches(store: EventStore, batches: PendingEvent[][], head?: ChainHead): Promise<ChainHead> {
  let h: ChainHead = head ?? { portfolioId: PORTFOLIO, nextRevision: 0, prevHash: GENESIS_HASH };
  for (const batch of batches) {
    const sealed = sealEvents(h, batch);
    await store.append(STREAM, sealed.events, { expectedRevision: h.nextRevision === 0 ? 'no_stream' : h.nextRevision - 1 });
    h = sealed.head;
  }
  return h;
}
