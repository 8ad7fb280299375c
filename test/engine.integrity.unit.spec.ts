// The engine's integrity guarantees through the public Portfolio API: a strategy cannot change its own ledger, slices
// out of order are refused by name, sealed events cannot be edited, and every entry point turns bad input into a typed error.
import { afterEach, describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import type { EventStore } from '../events/store.js';
import { portfolioStream, sealEvents } from '../events/envelope.js';
import { verifyPortfolioLog } from '../projections/logVerification.js';
import { AllocationError, DataError, LedgerError, StrategyTimeoutError } from '../src/errors.js';
import { dec } from '../src/money/decimal.js';
import type { Strategy } from '../src/strategy/strategy.js';
import type { BarSlice } from '../src/market/bar.js';
import { day, ofType, readAllEvents, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

const open: { store: EventStore; portfolio: Portfolio }[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) {
    o.portfolio.close();
    await o.store.close();
  }
});

async function openWith(strategies: Readonly<Record<string, Strategy>>, store?: EventStore): Promise<{ store: EventStore; portfolio: Portfolio }> {
  const s = store ?? (await openEventStore('memory:'));
  const ids = Object.keys(strategies);
  const kinds = Object.fromEntries(ids.map((id) => [`k-${id}`, () => strategies[id] as Strategy]));
  const config = testConfig({ strategies: ids.map((id) => ({ id, kind: `k-${id}`, allocation: (0.9 / ids.length).toFixed(4) })) });
  const portfolio = await Portfolio.open({ store: s, config, kinds });
  const o = { store: s, portfolio };
  open.push(o);
  return o;
}

/** Buys 10 AAA on its first bar, then runs `tamper` on its fourth. */
function tamperer(tamper: (positions: ReadonlyMap<string, unknown>) => void): Strategy {
  return scripted('tamperer', (ctx) => {
    if (ctx.barIndex === 0) ctx.order('AAA', '10');
    if (ctx.barIndex === 3) tamper(ctx.ledger.positions);
  });
}

const prices = ['100', '101', '102', '103', '104', '105'];

describe('a strategy cannot change its own ledger', () => {
  for (const [name, tamper] of [
    ['positions.set', (p: ReadonlyMap<string, unknown>) => (p as Map<string, unknown>).set('BBB', { quantity: dec('1000') })],
    ['positions.clear', (p: ReadonlyMap<string, unknown>) => (p as Map<string, unknown>).clear()],
    ['positions.delete', (p: ReadonlyMap<string, unknown>) => (p as Map<string, unknown>).delete('AAA')],
  ] as const) {
    it(`${name} fails inside the call, is recorded as StrategyFaulted, and the run goes on to a log that verifies`, async () => {
      const { store, portfolio } = await openWith({ t: tamperer(tamper), other: scripted('other') });
      for (let i = 0; i < prices.length; i += 1) await portfolio.executeBar(day(i), { AAA: { open: prices[i] as string, high: prices[i] as string, low: prices[i] as string, close: prices[i] as string, volume: '1' } });
      const events = await readAllEvents(store);
      const faults = ofType(events, 'StrategyFaulted');
      expect(faults).toHaveLength(1);
      expect(faults[0]?.data.strategyId).toBe('t');
      expect(faults[0]?.data.error).toContain('read-only');
      expect(faults[0]?.metadata.barTime).toBe(day(3));
      // Pause is the default fault policy: the strategy keeps its 10 AAA, valued at the last close.
      expect(portfolio.status().strategies.find((s) => s.id === 't')?.positions).toEqual({ AAA: '10' });
      expect(ofType(events, 'BarMarked')).toHaveLength(prices.length);
      const verified = await verifyPortfolioLog(store, portfolioStream('p1'));
      expect(verified.ok).toBe(true);
    });
  }

  it('hands out copies: changing a position or the cash a strategy read changes nothing in the engine', async () => {
    const { portfolio } = await openWith({
      t: scripted('t', (ctx) => {
        if (ctx.barIndex === 0) ctx.order('AAA', '10');
        if (ctx.barIndex === 2) {
          const p = ctx.ledger.positions.get('AAA') as { quantity: unknown };
          expect(() => {
            p.quantity = dec('999');
          }).toThrow(TypeError);
          // A Decimal is an object: a strategy that pokes into the copy it got only damages that copy.
          (ctx.ledger.cash as unknown as { s: number }).s = -1;
        }
      }),
    });
    for (let i = 0; i < 4; i += 1) await portfolio.executeBar(day(i), { AAA: { open: '10', high: '10', low: '10', close: '10', volume: '1' } });
    const t = portfolio.status().strategies[0];
    expect(t?.positions).toEqual({ AAA: '10' });
    expect(t?.cash).toBe('89900');
  });
});

describe('a strategy cannot change what the engine or another strategy reads', () => {
  const bar = (close: string): { open: string; high: string; low: string; close: string; volume: string } => ({ open: close, high: close, low: close, close, volume: '1' });

  it("poking into a held position's decimal fails inside the call, and a resume from the snapshot equals the uninterrupted run", async () => {
    // A held quantity is the ledger's own Decimal (positions are not copied per call), and a recovery snapshot writes it.
    const poker = (): Strategy =>
      scripted('poker', (ctx) => {
        if (ctx.barIndex === 0) ctx.order('AAA', '10');
        if (ctx.barIndex === 2) (ctx.ledger.positions.get('AAA')?.quantity as unknown as { d: number[] }).d[0] = 1010;
      });
    const run = async (stopAfter: number | null): Promise<{ events: readonly unknown[]; status: unknown }> => {
      const store = await openEventStore('memory:');
      const config = testConfig({ strategies: [{ id: 't', kind: 'poker', allocation: '0.5' }], snapshotEvery: 3 });
      const bars = (from: number, to: number): BarSlice[] => Array.from({ length: to - from }, (_, i) => slice(day(from + i), { AAA: '10' }));
      let portfolio = await Portfolio.open({ store, config, kinds: { poker } });
      if (stopAfter === null) await portfolio.run((async function* () { yield* bars(0, 6); })());
      else {
        await portfolio.run((async function* () { yield* bars(0, stopAfter); })());
        portfolio.close();
        portfolio = await Portfolio.open({ store, config, kinds: { poker } });
        expect(portfolio.recovery.from).toBe('snapshot');
        await portfolio.run((async function* () { yield* bars(0, 6); })());
      }
      const status = portfolio.status();
      const events = (await readAllEvents(store)).map((e) => [e.type, e.data]);
      portfolio.close();
      await store.close();
      return { events, status };
    };
    const whole = await run(null);
    expect(whole.events.filter((e) => (e as [string])[0] === 'StrategyFaulted')).toHaveLength(1);
    expect(JSON.stringify(whole.events)).toContain('read only');
    expect((whole.status as { strategies: { positions: unknown }[] }).strategies[0]?.positions).toEqual({ AAA: '10' });
    expect(await run(4)).toEqual(whole);
  });

  for (const snapshotEvery of [3, 0]) {
    it(`changing ctx.params faults the same way after a resume from ${snapshotEvery > 0 ? 'a snapshot' : 'the log'} as in one run`, async () => {
      // Parameters folded back from a log or a snapshot are plain data: unless the actor freezes them, the resumed run
      // lets the change through and writes another log than the run it resumes.
      const changer = (): Strategy =>
        scripted('changer', (ctx) => {
          if (ctx.barIndex === 5) (ctx.params['list'] as number[]).push(2);
        });
      const config = testConfig({ strategies: [{ id: 't', kind: 'changer', allocation: '0.5', params: { list: [1] } }], snapshotEvery });
      const run = async (stopAfter: number | null): Promise<string[]> => {
        const store = await openEventStore('memory:');
        let portfolio = await Portfolio.open({ store, config, kinds: { changer } });
        const bars = (from: number, to: number): BarSlice[] => Array.from({ length: to - from }, (_, i) => slice(day(from + i), { AAA: '10' }));
        await portfolio.run((async function* () { yield* bars(0, stopAfter ?? 8); })());
        if (stopAfter !== null) {
          portfolio.close();
          portfolio = await Portfolio.open({ store, config, kinds: { changer } });
          expect(portfolio.recovery.from).toBe(snapshotEvery > 0 ? 'snapshot' : 'log');
          await portfolio.run((async function* () { yield* bars(0, 8); })());
        }
        portfolio.close();
        const hashes = (await readAllEvents(store)).map((e) => e.metadata.hash);
        const faults = ofType(await readAllEvents(store), 'StrategyFaulted');
        expect(faults.map((f) => f.data.error)).toEqual([expect.stringMatching(/TypeError: Cannot add property 1, object is not extensible/)]);
        await store.close();
        return hashes;
      };
      expect(await run(4)).toEqual(await run(null));
    });
  }

  it("a strategy that pokes into a close faults, and the next strategy reads the source's close", async () => {
    const seen: string[] = [];
    const { store, portfolio } = await openWith({
      a: scripted('a', (ctx) => {
        if (ctx.barIndex === 1) (ctx.history.lastClose('AAA') as unknown as { d: number[] }).d[0] = 1;
      }),
      b: scripted('b', (ctx) => {
        seen.push(String(ctx.history.lastClose('AAA')));
      }),
    });
    for (let i = 0; i < 3; i += 1) await portfolio.executeBar(day(i), { AAA: bar('10') });
    expect(seen).toEqual(['10', '10', '10']);
    const faults = ofType(await readAllEvents(store), 'StrategyFaulted');
    expect(faults.map((f) => [f.data.strategyId, f.metadata.barTime])).toEqual([['a', day(1)]]);
  });

  for (const [name, tamper] of [
    ['changing a close', (s: BarSlice) => ((s.bars['AAA'] as { close: string }).close = '1')],
    ['changing an open', (s: BarSlice) => ((s.bars['AAA'] as { open: string }).open = '1')],
    ['deleting a bar', (s: BarSlice) => delete (s.bars as Record<string, unknown>)['AAA']],
    ['adding a bar', (s: BarSlice) => ((s.bars as Record<string, unknown>)['BBB'] = s.bars['AAA'])],
    ['adding a symbol to history.symbols()', (_s: BarSlice, ctx: { history: { symbols(): readonly string[] } }) => (ctx.history.symbols() as string[]).push('BBB')],
  ] as const) {
    it(`${name} in onBar fails inside the call; the slice's marks and fills stay the source's`, async () => {
      const { store, portfolio } = await openWith(
        {
          a: scripted('a', (ctx, s) => {
            if (ctx.barIndex === 1) tamper(s, ctx);
          }),
          b: scripted('b', (ctx) => {
            if (ctx.barIndex === 1) ctx.order('AAA', '1');
          }),
        },
      );
      for (let i = 0; i < 3; i += 1) await portfolio.processSlice(slice(day(i), { AAA: String(20 + i) }, { AAA: String(19 + i) }));
      const events = await readAllEvents(store);
      expect(ofType(events, 'StrategyFaulted').map((f) => [f.data.strategyId, f.metadata.barTime])).toEqual([['a', day(1)]]);
      expect(ofType(events, 'BarMarked').map((e) => e.data.marks)).toEqual([{ AAA: '20' }, { AAA: '21' }, { AAA: '22' }]);
      expect(ofType(events, 'FillRecorded').map((e) => [e.data.strategyId, e.data.price])).toEqual([['b', '21']]);
      expect(portfolio.status().strategies.find((x) => x.id === 'b')?.positions).toEqual({ AAA: '1' });
    });
  }
});

describe('slices out of order', () => {
  const s = (i: number): BarSlice => slice(day(i), { AAA: '10' });

  it('run over times 1, 2, 4, 3, 5 stops at 3 with a DataError naming both times, after persisting 1, 2 and 4', async () => {
    const { store, portfolio } = await openWith({ a: scripted('a') });
    const err = await portfolio.run((async function* () {
      for (const i of [1, 2, 4, 3, 5]) yield s(i);
    })()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain(day(3));
    expect((err as Error).message).toContain(day(4));
    const marked = ofType(await readAllEvents(store), 'BarMarked').map((e) => e.metadata.barTime);
    expect(marked).toEqual([day(1), day(2), day(4)]);
  });

  it('a repeated slice is a DataError naming both times', async () => {
    const { portfolio } = await openWith({ a: scripted('a') });
    await portfolio.processSlice(s(1));
    await expect(portfolio.processSlice(s(1))).rejects.toThrow(new RegExp(`${day(1)}.*${day(1)}`));
  });

  it('resume skips exactly the slices in the log and refuses an earlier slice the log does not hold', async () => {
    const store = await openEventStore('memory:');
    const first = await openWith({ a: scripted('a') }, store);
    await first.portfolio.run((async function* () {
      for (const i of [1, 2, 4]) yield s(i);
    })());
    first.portfolio.close();
    open.splice(0);
    // Same source restarted: 1, 2, 4 are in the log, 6 and 7 are new.
    const again = await openWith({ a: scripted('a') }, store);
    expect(await again.portfolio.run((async function* () {
      for (const i of [1, 2, 4, 6, 7]) yield s(i);
    })())).toBe(2);
    again.portfolio.close();
    open.splice(0);
    // A source with a slice at 3, which the log never held: refused, not silently skipped.
    const third = await openWith({ a: scripted('a') }, store);
    const err = await third.portfolio.run((async function* () {
      for (const i of [1, 2, 3, 4, 8]) yield s(i);
    })()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain(day(3));
    expect((err as Error).message).toContain(day(7));
    const marked = ofType(await readAllEvents(store), 'BarMarked').map((e) => e.metadata.barTime);
    expect(marked).toEqual([day(1), day(2), day(4), day(6), day(7)]);
    await store.close();
  });
});

describe('sealed events', () => {
  it('cannot be edited in place after sealing: memory and log stay the same', async () => {
    const { store, portfolio } = await openWith({ a: scripted('a') });
    const report = await portfolio.processSlice(slice(day(1), { AAA: '10' }));
    const marked = report.events[report.events.length - 1] as { data: { reserve: string; marks: Record<string, string> } };
    expect(() => {
      marked.data.reserve = '1000000';
    }).toThrow(TypeError);
    expect(() => {
      marked.data.marks.AAA = '1';
    }).toThrow(TypeError);
    const stored = ofType(await readAllEvents(store), 'BarMarked')[0];
    expect(stored?.data).toEqual(marked.data);
  });
});

describe('every public entry point validates its input into a typed error', () => {
  it('executeBar with a malformed time names it', async () => {
    const { portfolio } = await openWith({ a: scripted('a') });
    const err = await portfolio.executeBar('2024-13-45', { AAA: { open: '1', high: '1', low: '1', close: '1', volume: '1' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toContain('2024-13-45');
    await expect(portfolio.executeBar('yesterday', {})).rejects.toBeInstanceOf(DataError);
    await expect(portfolio.executeBar(day(1), null as never)).rejects.toBeInstanceOf(DataError);
    // Nothing was half-done: the next good bar is the first slice.
    await portfolio.executeBar(day(1), { AAA: { open: '1', high: '1', low: '1', close: '1', volume: '1' } });
    expect(portfolio.status().slices).toBe(1);
  });

  it('processSlice refuses a slice without a canonical time or bars', async () => {
    const { portfolio } = await openWith({ a: scripted('a') });
    await expect(portfolio.processSlice({ time: '2024-01-02', bars: {} })).rejects.toThrow(DataError);
    await expect(portfolio.processSlice({ time: day(1) } as never)).rejects.toThrow(/bars must be an object/);
    await expect(portfolio.processSlice(null as never)).rejects.toThrow(DataError);
    expect(portfolio.status().slices).toBe(0);
  });

  it('processSlice and executeBar check every bar before anything changes, by the file sources\' rules', async () => {
    const { store, portfolio } = await openWith({ a: scripted('a') });
    const good = { open: '10', high: '11', low: '9', close: '10', volume: '5' };
    for (const [bars, message] of [
      [{ AAA: { ...good, close: 'abc' } }, /bar "AAA", column close: close "abc" is not a decimal number/],
      [{ AAA: { ...good, close: '-5', low: '-6' } }, /not a positive price/],
      [{ AAA: { ...good, open: '0' } }, /open 0 is not a positive price/],
      [{ AAA: { ...good, close: 10.5 } }, /close must be a decimal string, got the binary float 10.5/],
      [{ AAA: { open: '10', high: '10', low: '10', volume: '1' } }, /close is missing/],
      [{ AAA: { ...good, close: '12' } }, /close 12 is outside \[low 9, high 11\]/],
      [{ AAA: null }, /a bar must be an object/],
      [{ AAA: { ...good, symbol: 'BBB' } }, /its symbol is "BBB"/],
      // Trimmed, " AAA" would be renamed and merged with AAA, one of the two bars silently dropped.
      [{ ' AAA': good, AAA: good }, /bar " AAA": a symbol must not have spaces around it/],
    ] as const) {
      const err = await portfolio.processSlice({ time: day(1), bars } as never).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(day(1));
    }
    await expect(portfolio.executeBar(day(1), { AAA: { ...good, high: '8' } })).rejects.toThrow(/high 8 is below low 9/);
    // A whole integer is an exact decimal and is taken; nothing before it was half-done.
    await portfolio.executeBar(day(1), { AAA: { open: 10, high: 10, low: 10, close: 10, volume: 1 } as never });
    expect(portfolio.status().slices).toBe(1);
    expect(ofType(await readAllEvents(store), 'BarMarked').map((e) => e.data.marks)).toEqual([{ AAA: '10' }]);
  });

  it('run refuses a source that is neither an async iterable nor an Observable, and stays usable', async () => {
    const { portfolio } = await openWith({ a: scripted('a') });
    await expect(portfolio.run({} as never)).rejects.toThrow(DataError);
    await expect(portfolio.run({ subscribe: 1 } as never)).rejects.toThrow(/neither/);
    await portfolio.processSlice(slice(day(1), { AAA: '10' }));
    expect(portfolio.status().slices).toBe(1);
  });

  it('commands refuse malformed ids, options and weights', async () => {
    const { portfolio } = await openWith({ a: scripted('a') });
    expect(() => portfolio.addStrategy('', scripted('x'), '0.05')).toThrow(AllocationError);
    expect(() => portfolio.addStrategy('x', {} as Strategy, '0.05')).toThrow(/onBar/);
    expect(() => portfolio.addStrategy('x', scripted('x'), 'lots')).toThrow(/allocationPct/);
    expect(() => portfolio.removeStrategy('a', { liquidate: 'yes' } as never)).toThrow(AllocationError);
    expect(() => portfolio.pauseStrategy(42 as never)).toThrow(AllocationError);
    expect(() => portfolio.rebalance({ a: Number.NaN })).toThrow(/weight of a/);
    expect(() => portfolio.rebalance({ a: 1.5 })).toThrow(AllocationError);
  });
});

describe('a strategy call that does not return', () => {
  const bars = (n: number): BarSlice[] => Array.from({ length: n }, (_, i) => slice(day(i), { AAA: String(100 + i) }));
  /** Buys on bar 1; on bar `stuckAt` (when given) never returns. */
  const trader = (stuckAt: number | null): Strategy =>
    scripted('trader', (ctx) => {
      if (ctx.barIndex === 1) ctx.order('AAA', '5');
      if (ctx.barIndex === stuckAt) for (;;);
    });
  const openTimed = async (store: EventStore, strategy: Strategy, timeoutMs: number): Promise<Portfolio> => {
    const config = testConfig({ strategies: [{ id: 'quiet', kind: 'quiet', allocation: '0.2' }, { id: 'stuck', kind: 'stuck', allocation: '0.5' }] });
    const portfolio = await Portfolio.open({ store, config, kinds: { quiet: () => scripted('quiet'), stuck: () => strategy }, strategyTimeoutMs: timeoutMs });
    open.push({ store, portfolio });
    return portfolio;
  };

  it('in onBar ends the run with a StrategyTimeoutError naming the strategy and the bar, and the log resumes to the uninterrupted one', async () => {
    const store = await openEventStore('memory:');
    const first = await openTimed(store, trader(3), 150);
    const err = await first.run((async function* () {
      yield* bars(6);
    })()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StrategyTimeoutError);
    expect((err as StrategyTimeoutError).message).toMatch(new RegExp(`strategy stuck did not return from onBar at bar ${day(3).replace(/\./g, '\\.')} within 150 ms`));
    expect((err as StrategyTimeoutError).message).toContain('fix the strategy (or raise the limit: --strategy-timeout, strategyTimeoutMs in Portfolio.open) and run the same command again to resume');
    expect(ofType(await readAllEvents(store), 'BarMarked').map((e) => e.metadata.barTime)).toEqual([day(0), day(1), day(2)]);
    // The same source with the strategy fixed picks up at the slice that was not written.
    open.splice(0);
    const resumed = await openTimed(store, trader(null), 150);
    expect(await resumed.run((async function* () {
      yield* bars(6);
    })())).toBe(3);
    const reference = await openEventStore('memory:');
    await (await openTimed(reference, trader(null), 150)).run((async function* () {
      yield* bars(6);
    })());
    const bodies = async (s: EventStore) => (await readAllEvents(s)).map((e) => e.metadata.hash);
    expect(await bodies(store)).toEqual(await bodies(reference));
    expect((await verifyPortfolioLog(store, portfolioStream('p1'))).ok).toBe(true);
  });

  it('in init is named as init', async () => {
    const store = await openEventStore('memory:');
    const hang: Strategy = { name: 'hang', init: () => { for (;;); }, onBar: () => {} };
    const portfolio = await openTimed(store, hang, 100);
    await expect(portfolio.processSlice(bars(1)[0] as BarSlice)).rejects.toThrow(/strategy stuck did not return from init at bar/);
    expect(ofType(await readAllEvents(store), 'BarMarked')).toHaveLength(0);
  });

  it('is a runtime option checked on open', async () => {
    const store = await openEventStore('memory:');
    await expect(openTimed(store, trader(null), 0)).rejects.toThrow(/strategyTimeoutMs/);
    await store.close();
  });
});

describe('removing a strategy whose equity is negative', () => {
  it('the reserve covers the deficit in a CapitalTransferred with that reason, and the strategy closes, stops and is removed', async () => {
    const short = scripted('short', (ctx) => {
      if (ctx.barIndex === 0) ctx.order('AAA', '-1000');
    });
    const store = await openEventStore('memory:');
    const config = testConfig({ strategies: [{ id: 'short', kind: 'k', allocation: '0.1' }] });
    const portfolio = await Portfolio.open({ store, config, kinds: { k: () => short } });
    open.push({ store, portfolio });
    // 10,000 of capital; short 1,000 AAA at 10 → cash 20,000; AAA at 30 → equity 20,000 − 30,000 = −10,000.
    await portfolio.processSlice(slice(day(0), { AAA: '10' }));
    await portfolio.processSlice(slice(day(1), { AAA: '30' }));
    expect(portfolio.status().strategies[0]?.value).toBe('-10000');
    portfolio.removeStrategy('short', { liquidate: true });
    await portfolio.processSlice(slice(day(2), { AAA: '30' }));
    const events = (await readAllEvents(store)).filter((e) => e.metadata.barTime === day(2));
    expect(events.map((e) => e.type)).toEqual([
      'StrategyLifecycleChanged', 'CapitalTransferred', 'OrderPlaced', 'OrdersNetted', 'FillRecorded', 'StrategyLifecycleChanged', 'StrategyRemoved', 'BarMarked',
    ]);
    const cover = ofType(events, 'CapitalTransferred')[0];
    expect(cover?.data).toMatchObject({ from: 'reserve', to: 'short', amount: '10000', reason: 'liquidation: the reserve covers the deficit' });
    expect(ofType(events, 'StrategyRemoved')[0]?.data).toMatchObject({ strategyId: 'short', capitalReturned: '0' });
    const status = portfolio.status();
    expect(status.strategies[0]).toMatchObject({ state: 'stopped', removed: true, cash: '0', positions: {} });
    // 90,000 in the reserve, less the 10,000 deficit it covered.
    expect(status.reserve).toBe('80000');
    expect((await verifyPortfolioLog(store, portfolioStream('p1'))).ok).toBe(true);
  });
});

describe('a fill the books cannot fold', () => {
  // 10^15 of capital, a percent commission of 20 decimals: cash − commission needs 35 significant digits, which the
  // ledger refuses rather than round. The slice must fail before it is appended, not after, with its BarMarked written.
  const bigConfig = (): ReturnType<typeof testConfig> =>
    testConfig({
      capital: '1000000000000000',
      strategies: [{ id: 'big', kind: 'k', allocation: '1' }],
      execution: { commission: { kind: 'percent', rate: '0.0000123', minimum: '0' }, slippageBps: '3.7' },
    });
  const buyer = scripted('big', (ctx) => {
    if (ctx.barIndex === 1) ctx.order('AAA', '19944673475778191');
  });
  const bar = (i: number): BarSlice => slice(day(i), { AAA: '0.00501387' });

  it('fails the slice with the ledger\'s error before anything of it is appended, and the log still verifies', async () => {
    const store = await openEventStore('memory:');
    const portfolio = await Portfolio.open({ store, config: bigConfig(), kinds: { k: () => buyer } });
    open.push({ store, portfolio });
    await portfolio.processSlice(bar(0));
    const before = (await readAllEvents(store)).length;
    const err = await portfolio.processSlice(bar(1)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LedgerError);
    expect((err as Error).message).toContain('more than 34 significant digits');
    expect(await readAllEvents(store)).toHaveLength(before);
    expect((await verifyPortfolioLog(store, portfolioStream('p1'))).ok).toBe(true);
  });

  it('a stored log holding one is refused on reopening, not resumed with the books left as they were', async () => {
    const store = await openEventStore('memory:');
    const first = await Portfolio.open({ store, config: bigConfig(), kinds: { k: () => buyer } });
    await first.processSlice(bar(0));
    first.close();
    // The fill an older engine appended: its cash step needs 35 significant digits.
    const events = await readAllEvents(store);
    const last = events[events.length - 1] as (typeof events)[number];
    const { events: sealed } = sealEvents(
      { portfolioId: 'p1', nextRevision: last.metadata.revision + 1, prevHash: last.metadata.hash },
      [{ event: { type: 'FillRecorded', data: { orderId: 'o1-big-0', strategyId: 'big', symbol: 'AAA', quantity: '19944673475778191', price: '0.0050157251319', commission: '1230455099.99999998165600623267', slippage: '0' } }, barTime: day(1) }],
    );
    await store.append(portfolioStream('p1'), sealed, { expectedRevision: last.metadata.revision });
    const err = await Portfolio.open({ store, config: bigConfig(), kinds: { k: () => buyer } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LedgerError);
    expect((err as Error).message).toContain('more than 34 significant digits');
    await store.close();
  });
});

describe('user data never keys a plain object', () => {
  it('__proto__ and constructor work as symbols and as strategy ids through the engine, the log and a refold', async () => {
    const buyer = (symbol: string): Strategy => scripted(`buy-${symbol}`, (ctx) => {
      if (ctx.barIndex === 0) ctx.order(symbol, '10');
    });
    const store = await openEventStore('memory:');
    const config = testConfig({
      strategies: [{ id: '__proto__', kind: 'p', allocation: '0.3' }, { id: 'constructor', kind: 'c', allocation: '0.3' }],
    });
    const kinds = { p: () => buyer('__proto__'), c: () => buyer('constructor') };
    const portfolio = await Portfolio.open({ store, config, kinds });
    open.push({ store, portfolio });
    const bar = (close: string) => ({ open: close, high: close, low: close, close, volume: '1' });
    await portfolio.executeBar(day(0), Object.fromEntries([['__proto__', bar('10')], ['constructor', bar('20')]]) as never);
    portfolio.rebalance(JSON.parse('{"__proto__":0.4,"constructor":0.4}') as never);
    await portfolio.executeBar(day(1), JSON.parse('{"__proto__":{"open":"11","high":"11","low":"11","close":"11","volume":"1"},"constructor":{"open":"22","high":"22","low":"22","close":"22","volume":"1"}}') as never);
    const status = portfolio.status();
    expect(status.strategies.map((s) => [s.id, s.positions])).toEqual([
      ['__proto__', JSON.parse('{"__proto__":"10"}') as unknown],
      ['constructor', JSON.parse('{"constructor":"10"}') as unknown],
    ]);
    const events = await readAllEvents(store);
    const marked = ofType(events, 'BarMarked');
    expect(Object.keys(marked[1]?.data.marks ?? {})).toEqual(['__proto__', 'constructor']);
    expect(Object.keys(marked[1]?.data.strategyValues ?? {})).toEqual(['__proto__', 'constructor']);
    expect(Object.keys(ofType(events, 'RebalanceDecided')[0]?.data.finalWeights ?? {}).sort()).toEqual(['__proto__', 'constructor']);
    expect((await verifyPortfolioLog(store, portfolioStream('p1'))).ok).toBe(true);
    // A refold of the same log reaches the same state.
    const reopened = await Portfolio.open({ store, config, kinds });
    expect(reopened.status()).toEqual(status);
    reopened.close();
  });
});
