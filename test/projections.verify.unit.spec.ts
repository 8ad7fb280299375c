import { describe, expect, it } from 'vitest';
import { MemoryLog, createMemoryEventStore, domainEvent, verifyPortfolioLog, type PendingEvent } from '../src/index.js';
import { STREAM, T3, appendBatches, fixtureBatches } from './projections.fixture.js';

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
    expect(await verifyPortfolioLog(store, STREAM)).toMatchObject({ ok: true, events: 16, rebalances: 1, marks: 3 });
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

  it('catches a transfer the reserve cannot fund', async () => {
    const { store } = await storeWith(
      replaced(3, 2, domainEvent('CapitalTransferred', { from: 'reserve', to: 'b', amount: '200', reason: 'rebalance', rebalanceId: 'r1' })),
    );
    expect(await verifyPortfolioLog(store, STREAM)).toMatchObject({ ok: false, check: 'transfer', revision: 14 });
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
