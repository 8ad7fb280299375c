import { describe, expect, it } from 'vitest';
import { MemoryLog, createMemoryEventStore, domainEvent, verifyPortfolioLog, type PendingEvent } from '../src/index.js';
import { STREAM, T1, T3, appendBatches, fixtureBatches } from './projections.fixture.js';

async function storeWith(batches: PendingEvent[][]) {
  const log = new MemoryLog();
  const store = createMemoryEventStore({ log });
  await appendBatches(store, batches);
  return { log, store };
}

/** The fixture with the event at (batch, index) replaced. */
function replaced(batch: number, index: number, event: PendingEvent['event']): PendingEvent[][] {
  const b = fixtureBatches();
  const row = b[batch] as PendingEvent[];
  row[index] = { event, barTime: row[index]?.barTime ?? null };
  return b;
}

describe('audit verification', () => {
  it('passes an intact log', async () => {
    const { store } = await storeWith(fixtureBatches());
    // Transfers: 600 and 300 out of 1000, then 48 in and 40 out: the reserve's lowest is 100.
    expect(await verifyPortfolioLog(store, STREAM)).toMatchObject({
      ok: true,
      events: 16,
      rebalances: 1,
      transfers: 4,
      lowestReserve: '100',
      marks: 3,
      headMatchesExpected: null,
    });
  });

  it('with the expected head passes; with any other head, or once the last event is cut, fails the head check', async () => {
    const { log, store } = await storeWith(fixtureBatches());
    const v = await verifyPortfolioLog(store, STREAM);
    const head = v.ok ? v.headHash : '';
    expect(await verifyPortfolioLog(store, STREAM, { expectHead: head })).toMatchObject({ ok: true, headMatchesExpected: true });
    expect(await verifyPortfolioLog(store, STREAM, { expectHead: 'f'.repeat(64) })).toMatchObject({ ok: false, check: 'head', revision: 15 });
    // A log cut at its end is a valid shorter log: only the kept head tells.
    const cut = createMemoryEventStore({ log: new MemoryLog() });
    await appendBatches(cut, fixtureBatches().slice(0, 3));
    expect(await verifyPortfolioLog(cut, STREAM)).toMatchObject({ ok: true });
    expect(await verifyPortfolioLog(cut, STREAM, { expectHead: head })).toMatchObject({ ok: false, check: 'head', revision: 11 });
    expect(log.rows.length).toBe(16);
  });

  it('catches an increase that does not bring the strategy to its recorded target (41 where target − value is 40)', async () => {
    const { store } = await storeWith(
      replaced(3, 2, domainEvent('CapitalTransferred', { from: 'reserve', to: 'b', amount: '41', reason: 'rebalance', rebalanceId: 'r1' })),
    );
    const v = await verifyPortfolioLog(store, STREAM);
    expect(v).toMatchObject({ ok: false, check: 'rebalance', revision: 14 });
    expect(v.ok ? '' : v.reason).toMatch(/b moved 41; its recorded target and value allow exactly 40/);
  });

  it("catches a final weight that does not give its recorded target (weight × portfolio value, to the cent below), naming the decision", async () => {
    const edited = (change: (data: { finalWeights: Record<string, number>; targets: Record<string, string> }) => void): PendingEvent[][] => {
      const b = fixtureBatches();
      change((b[3] as PendingEvent[])[0]?.event.data as { finalWeights: Record<string, number>; targets: Record<string, string> });
      return b;
    };
    // The transfers still match the targets and values: only the weight the audit shows is wrong.
    const weight = await verifyPortfolioLog((await storeWith(edited((d) => (d.finalWeights.a = 0.65)))).store, STREAM);
    expect(weight).toMatchObject({ ok: false, check: 'rebalance', revision: 12 });
    expect(weight.ok ? '' : weight.reason).toBe('rebalance r1: the target of a is 600, but its final weight 0.65 × the portfolio value 1058 gives 687.7');
    const missing = await verifyPortfolioLog((await storeWith(edited((d) => delete d.finalWeights.b))).store, STREAM);
    expect(missing.ok ? '' : missing.reason).toBe('rebalance r1: b has a target of 350 but no final weight');
  });

  it('catches a decrease that did not happen (the strategy kept capital above its target)', async () => {
    const b = fixtureBatches();
    (b[3] as PendingEvent[]).splice(1, 1);
    const { store } = await storeWith(b);
    const v = await verifyPortfolioLog(store, STREAM);
    expect(v).toMatchObject({ ok: false, check: 'rebalance', revision: 12 });
    expect(v.ok ? '' : v.reason).toMatch(/a should have moved 48 toward its target and moved nothing/);
  });

  it('accepts an increase scaled down to what the reserve holds after the decreases, and nothing else', async () => {
    // Target b 500 from 310 wants 190; the reserve holds 100 + 48 = 148 < 190, so b gets 190 × 148/190 = 148.
    const scaled = (amount: string): PendingEvent[][] => {
      const b = fixtureBatches();
      const last = b[3] as PendingEvent[];
      const decided = last[0]?.event as { data: { targets: Record<string, string>; finalWeights: Record<string, number> } };
      decided.data.targets = { a: '600', b: '500' };
      decided.data.finalWeights.b = 0.4725898; // × 1058 = 500.0000084
      last[2] = { barTime: T3, event: domainEvent('CapitalTransferred', { from: 'reserve', to: 'b', amount, reason: 'rebalance', rebalanceId: 'r1' }) };
      // b: cash 400 + 148 = 548, short 5 Y at 19 → 453; reserve 0; PV 600 + 453 = 1053.
      last[3] = {
        barTime: T3,
        event: domainEvent('BarMarked', { marks: { Y: '19' }, strategyValues: { a: '600', b: '453' }, strategyCash: { a: '600', b: '548' }, reserve: '0', portfolioValue: '1053' }),
      };
      return b;
    };
    expect(await verifyPortfolioLog((await storeWith(scaled('148'))).store, STREAM)).toMatchObject({ ok: true, lowestReserve: '0' });
    expect(await verifyPortfolioLog((await storeWith(scaled('147.99'))).store, STREAM)).toMatchObject({ ok: false, check: 'rebalance', revision: 14 });
  });

  it('catches a single altered byte in a stored body, naming its revision and position', async () => {
    const { log, store } = await storeWith(fixtureBatches());
    const row = log.rows[7] as { body: string }; // revision 7: a's buy of 10 X @ 50
    row.body = row.body.replace('"price":"50"', '"price":"59"');
    expect(await verifyPortfolioLog(store, STREAM)).toMatchObject({ ok: false, check: 'decode', revision: 7, position: 8 });
  });

  it('catches a broken chain link (an event rehashed after being altered)', async () => {
    const { log, store } = await storeWith(fixtureBatches());
    const other = await storeWith(replaced(1, 2, domainEvent('FillRecorded', { orderId: 'o1', strategyId: 'a', symbol: 'X', quantity: '10', price: '49', commission: '1', slippage: '0' })));
    // splice the validly sealed but different revision 7 into the first log: its own hash holds, the next link does not
    const row7 = log.rows[7] as { body: string; hash: string };
    const alt = other.log.rows[7] as { body: string; hash: string };
    row7.body = alt.body;
    row7.hash = alt.hash;
    const v = await verifyPortfolioLog(store, STREAM);
    expect(v).toMatchObject({ ok: false, check: 'chain', revision: 8, position: 9 });
  });

  it('catches a rebalance transfer that does not belong to the rebalance before it', async () => {
    const { store } = await storeWith(
      replaced(3, 2, domainEvent('CapitalTransferred', { from: 'reserve', to: 'b', amount: '40', reason: 'rebalance', rebalanceId: 'r0' })),
    );
    expect(await verifyPortfolioLog(store, STREAM)).toMatchObject({ ok: false, check: 'rebalance', revision: 14 });
  });

  it('catches a transfer the reserve cannot fund (the reserve would go below zero)', async () => {
    const { store } = await storeWith(
      replaced(0, 4, domainEvent('CapitalTransferred', { from: 'reserve', to: 'b', amount: '400.01', reason: 'initial allocation', rebalanceId: null })),
    );
    const v = await verifyPortfolioLog(store, STREAM);
    expect(v).toMatchObject({ ok: false, check: 'transfer', revision: 4 });
    expect(v.ok ? '' : v.reason).toMatch(/the reserve would go to -0.01/);
  });

  it('catches a recorded value that folding the fills does not reproduce', async () => {
    const { store } = await storeWith(
      replaced(2, 1, domainEvent('BarMarked', {
        marks: { X: '55', Y: '18' },
        strategyValues: { a: '648.01', b: '310' },
        strategyCash: { a: '648', b: '400' },
        reserve: '100',
        portfolioValue: '1058.01',
      })),
    );
    const v = await verifyPortfolioLog(store, STREAM);
    expect(v).toMatchObject({ ok: false, check: 'ledger', revision: 11, position: 12 });
    expect(v.ok ? '' : v.reason).toMatch(/a: fills and transfers give a value of 648, the log records 648.01/);
  });

  it('catches a strategy that spent more cash than it had, even where every recorded number refolds', async () => {
    // a buys 12 X @ 50 + 1 commission = 601 out of 600: cash -1, value -1 + 12 × 51 = 611, PV 611 + 300 + 100.
    const b = fixtureBatches();
    const t1 = b[1] as PendingEvent[];
    t1[2] = { barTime: T1, event: domainEvent('FillRecorded', { orderId: 'o1', strategyId: 'a', symbol: 'X', quantity: '12', price: '50', commission: '1', slippage: '0' }) };
    t1[4] = {
      barTime: T1,
      event: domainEvent('BarMarked', { marks: { X: '51', Y: '20' }, strategyValues: { a: '611', b: '300' }, strategyCash: { a: '-1', b: '400' }, reserve: '100', portfolioValue: '1011' }),
    };
    const v = await verifyPortfolioLog((await storeWith(b)).store, STREAM);
    expect(v).toMatchObject({ ok: false, check: 'cash', revision: 9, position: 10 });
    expect(v.ok ? '' : v.reason).toMatch(/a: cash is -1 at the mark of 2024-01-01T00:00:00.000Z: it spent more than it had/);
    // The intact log reports the lowest cash any strategy had at a mark: a's 99 after its buy.
    expect(await verifyPortfolioLog((await storeWith(fixtureBatches())).store, STREAM)).toMatchObject({ ok: true, lowestCash: '99' });
  });

  it('catches a portfolio value that is not the strategies plus the reserve', async () => {
    const b = fixtureBatches();
    const last = b[3] as PendingEvent[];
    last[3] = {
      barTime: T3,
      event: domainEvent('BarMarked', {
        marks: { Y: '19' },
        strategyValues: { a: '600', b: '345' },
        strategyCash: { a: '600', b: '440' },
        reserve: '108',
        portfolioValue: '1054',
      }),
    };
    const { store } = await storeWith(b);
    expect(await verifyPortfolioLog(store, STREAM)).toMatchObject({ ok: false, check: 'marks', revision: 15 });
  });
});
