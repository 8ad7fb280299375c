// What a program that embeds the engine gets wrong (plain JavaScript, which no type checker stopped), and what it is told:
// a typed, exported error naming what is wrong, and a portfolio that is still usable when nothing was done.
import { afterEach, describe, expect, it } from 'vitest';
import { Portfolio } from '../actors/portfolio.js';
import { openEventStore } from '../events/openEventStore.js';
import { StoreConfigError } from '../events/errors.js';
import { portfolioStream } from '../events/envelope.js';
import type { EventStore } from '../events/store.js';
import { verifyPortfolioLog } from '../projections/logVerification.js';
import { AllocationError, ConfigError, DataError, StratafolioError } from '../src/errors.js';
import { parsePortfolioConfig } from '../src/config/portfolioConfig.js';
import { resolveStrategy } from '../src/strategy/registry.js';
import type { Strategy } from '../src/strategy/strategy.js';
import type { BarSlice } from '../src/market/bar.js';
import { day, readAllEvents, scripted, slice, testConfig } from './fixtures/engine/engineFixtures.js';

const open: { store: EventStore; portfolio: Portfolio }[] = [];

afterEach(async () => {
  for (const o of open.splice(0)) {
    o.portfolio.close();
    await o.store.close();
  }
});

async function openOne(): Promise<{ store: EventStore; portfolio: Portfolio }> {
  const store = await openEventStore('memory:');
  const config = testConfig({ strategies: [{ id: 'a', kind: 'k-a', allocation: '0.2' }] });
  const portfolio = await Portfolio.open({ store, config, kinds: { 'k-a': () => scripted('a') } });
  const o = { store, portfolio };
  open.push(o);
  return o;
}

/** The portfolio as JavaScript reaches it: any argument at all. */
type Loose = Record<string, (...args: unknown[]) => unknown>;
const loosely = (p: Portfolio): Loose => p as unknown as Loose;
const looseOpen = Portfolio.open as unknown as (options?: unknown) => Promise<Portfolio>;

const bar = { open: '10', high: '10', low: '10', close: '10', volume: '1' } as const;

/** That `promise` rejects with an error of `type` whose message is `message`. */
async function refused(promise: Promise<unknown>, type: abstract new (...args: never[]) => Error, message: string): Promise<void> {
  const error: unknown = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as Error).message).toBe(message);
}

describe('strategy ids', () => {
  it('a config strategy may not be named "reserve", the name the log gives the reserve', () => {
    const input = { id: 'p1', name: 'p', capital: '100000', strategies: [{ id: 'reserve', kind: 'buy-and-hold', allocation: '0.2' }] };
    expect(() => parsePortfolioConfig(input)).toThrow(ConfigError);
    expect(() => parsePortfolioConfig(input)).toThrow('config: strategies[0].id: must not be "reserve", the name of the portfolio\'s reserve in the log');
  });

  it('addStrategy takes the ids a config takes, and no other: "reserve" and ids with spaces are refused and nothing is queued', async () => {
    const { portfolio, store } = await openOne();
    for (const [id, why] of [
      ['reserve', 'must not be "reserve", the name of the portfolio\'s reserve in the log'],
      ['has space', 'must be letters, digits, "_", "-" or "."'],
    ] as const) {
      expect(() => portfolio.addStrategy(id, scripted('x'), '0.1')).toThrow(AllocationError);
      expect(() => portfolio.addStrategy(id, scripted('x'), '0.1')).toThrow(`addStrategy: strategy id ${JSON.stringify(id)}: ${why}`);
    }
    expect(portfolio.kernel.queuedCommands()).toEqual([]);
    portfolio.addStrategy('b.2_x-y', scripted('b'), '0.1');
    await portfolio.processSlice(slice(day(0), { AAA: '100' }));
    expect(await verifyPortfolioLog(store, portfolioStream('p1'))).toMatchObject({ ok: true });
  });

  it('addStrategy refuses an object whose name is not a string, and an init that is not a function', async () => {
    const { portfolio } = await openOne();
    const add = (s: unknown): void => loosely(portfolio)['addStrategy']?.('b', s, '0.1') as void;
    expect(() => add({ onBar() {} })).toThrow(AllocationError);
    expect(() => add({ onBar() {} })).toThrow('addStrategy(b): strategy: "name" must be a non-empty string, got undefined');
    expect(() => add({ name: 'b', init: 5, onBar() {} })).toThrow('addStrategy(b): strategy: "init" must be a function when present, got 5');
    expect(portfolio.kernel.queuedCommands()).toEqual([]);
  });
});

describe('Portfolio.open options', () => {
  it('refuses missing options, a missing store and a config that was not parsed with a ConfigError naming the option', async () => {
    const store = await openEventStore('memory:');
    const config = testConfig({ strategies: [{ id: 'a', kind: 'buy-and-hold', allocation: '0.2' }] });
    await refused(looseOpen(), ConfigError, 'Portfolio.open: options must be an object { store, config, … }, got undefined');
    await refused(looseOpen({ config }), ConfigError, 'Portfolio.open: options.store must be an event store (openEventStore(url)), got undefined');
    const raw = { id: 'p1', name: 'p', capital: '100000', strategies: [{ id: 'a', kind: 'buy-and-hold', allocation: '0.2' }] };
    await refused(
      looseOpen({ store, config: raw }),
      ConfigError,
      'Portfolio.open: options.config is not a parsed portfolio config (parsing it adds or changes baseCurrency, durability, execution, lookback, …): ' +
        'pass parsePortfolioConfig(yourObject) or loadPortfolioConfig(path)',
    );
    await refused(
      looseOpen({ store, config: { ...config, capital: 'lots' } }),
      ConfigError,
      'Portfolio.open: options.config: capital: must be a decimal number (e.g. "1000000" or "0.25")',
    );
    expect(await store.listStreams()).toEqual([]);
    await store.close();
  });

  it('refuses a strategyTimeoutMs given as text, saying it is text', async () => {
    const store = await openEventStore('memory:');
    const config = testConfig({ strategies: [{ id: 'a', kind: 'buy-and-hold', allocation: '0.2' }] });
    await refused(looseOpen({ store, config, strategyTimeoutMs: '100' }), ConfigError, 'strategyTimeoutMs must be a positive whole number of milliseconds, got the string "100"');
    await store.close();
  });

  it('refuses a strategyTimeoutMs longer than a timer can wait: the timer would fire after 1 ms', async () => {
    const store = await openEventStore('memory:');
    const config = testConfig({ strategies: [{ id: 'a', kind: 'buy-and-hold', allocation: '0.2' }] });
    await refused(
      looseOpen({ store, config, strategyTimeoutMs: 2 ** 31 }),
      ConfigError,
      'strategyTimeoutMs must be at most 2147483647 milliseconds (about 596h, the longest a timer can wait: a longer one fires after 1 ms), got 2147483648',
    );
    await store.close();
  });

  it('refuses a kind that is not a factory, and a factory that makes no strategy, at open, naming the kind', async () => {
    const store = await openEventStore('memory:');
    const config = testConfig({ strategies: [{ id: 'k', kind: 'mine', allocation: '0.2' }] });
    await refused(looseOpen({ store, config, kinds: { mine: 5 } }), ConfigError, 'Portfolio.open: options.kinds.mine must be a factory (params) => strategy, got 5');
    for (const made of [5, {}, null, { name: 'n' }]) {
      const opening = looseOpen({ store, config, kinds: { mine: () => made } });
      await expect(opening).rejects.toThrow(ConfigError);
      await expect(opening).rejects.toThrow(/^strategies\[0\] \(k\): strategy kind "mine": the factory returned .*, which has no onBar function$/);
    }
    expect(() => resolveStrategy({ kind: 'mine' }, { mine: (() => 5) as unknown as () => Strategy })).toThrow(
      'strategy kind "mine": the factory returned 5, which has no onBar function',
    );
    expect(await store.listStreams()).toEqual([]);
    await store.close();
  });

  it('refuses an options.strategies entry that is not a strategy', async () => {
    const store = await openEventStore('memory:');
    const config = testConfig({ strategies: [{ id: 'a', kind: 'buy-and-hold', allocation: '0.2' }] });
    await refused(looseOpen({ store, config, strategies: { extra: 5 } }), ConfigError, 'Portfolio.open: options.strategies.extra: got 5, which has no onBar function');
    await store.close();
  });

  it('refuses an options.strategies entry under the id of a config strategy, which would run in its place', async () => {
    const store = await openEventStore('memory:');
    const config = testConfig({ strategies: [{ id: 'a', kind: 'buy-and-hold', allocation: '0.2' }] });
    await refused(
      Portfolio.open({ store, config, strategies: { a: scripted('a') } }),
      ConfigError,
      'Portfolio.open: options.strategies.a: strategy a is in the config, which makes it; options.strategies is only for strategies added with addStrategy',
    );
    expect(await store.listStreams()).toEqual([]);
    await store.close();
  });
});

describe('openEventStore', () => {
  it('refuses a URL that is not a string with a StoreConfigError', async () => {
    for (const url of [undefined, 5, null]) {
      const opening = (openEventStore as unknown as (u: unknown) => Promise<EventStore>)(url);
      await expect(opening).rejects.toThrow(StoreConfigError);
      await expect(opening).rejects.toThrow(`event store URL must be a string such as "sqlite:./runs/my.db" or "memory:", got ${String(url)}`);
    }
  });
});

describe('bars given by the caller', () => {
  it("executeBar refuses a bar whose own symbol is not its key, as processSlice does, and the portfolio stays usable", async () => {
    const { portfolio } = await openOne();
    await refused(portfolio.executeBar(day(0), { AAA: { ...bar, symbol: 'BBB' } }), DataError, `slice at ${day(0)}, bar "AAA": its symbol is "BBB"`);
    await portfolio.executeBar(day(0), { AAA: { ...bar, symbol: 'AAA' } });
    expect(portfolio.status().slices).toBe(1);
  });

  it('a slice without a bar is refused (no source makes one: a time at which nothing traded is no slice)', async () => {
    const { portfolio } = await openOne();
    await refused(portfolio.executeBar(day(0), {}), DataError, `slice at ${day(0)} has no bars: a slice holds the bar of at least one symbol (leave out a time at which nothing traded)`);
    await expect(portfolio.processSlice({ time: day(0), bars: {} })).rejects.toThrow(DataError);
    expect(portfolio.status().slices).toBe(0);
    await portfolio.executeBar(day(0), { AAA: bar });
    expect(portfolio.status().slices).toBe(1);
  });

  it('a call made while a slice is in progress (an executeBar not awaited) says to await the one before', async () => {
    const { portfolio } = await openOne();
    const calls = [portfolio.executeBar(day(0), { AAA: bar }), portfolio.executeBar(day(1), { AAA: bar })];
    const results = await Promise.allSettled(calls);
    expect(results[0]?.status).toBe('fulfilled');
    expect(results[1]).toMatchObject({ status: 'rejected' });
    const reason = (results[1] as PromiseRejectedResult).reason as Error;
    expect(reason).toBeInstanceOf(StratafolioError);
    expect(reason.message).toBe('portfolio p1 is processing a slice: await each executeBar, processSlice, run or follow before the next call');
    await portfolio.executeBar(day(1), { AAA: bar });
    expect(portfolio.status().slices).toBe(2);
  });
});

describe('run and follow arguments', () => {
  const groups = async function* (): AsyncGenerator<readonly { slice: BarSlice; before: readonly [] }[]> {
    yield [{ slice: slice(day(0), { AAA: '100' }), before: [] }];
  };

  it('follow refuses a source that is not an async iterable, and an onSlice that is not a function, before any slice; the portfolio stays usable', async () => {
    const { portfolio, store } = await openOne();
    const follow = (g: unknown, f: unknown): Promise<unknown> => loosely(portfolio)['follow']?.(g, f) as Promise<unknown>;
    await refused(follow(null, () => {}), DataError, 'follow: expected an async iterable of slice groups, got null');
    await refused(follow([[]], () => {}), DataError, 'follow: expected an async iterable of slice groups, got an object that is not one');
    await refused(follow(groups(), undefined), ConfigError, 'follow: onSlice must be a function, got undefined');
    await expect(follow(groups(), () => {})).resolves.toBe(1);
    expect((await readAllEvents(store)).at(-1)?.type).toBe('BarMarked');
  });

  it('follow refuses a group that is not an array as a DataError', async () => {
    const { portfolio } = await openOne();
    const notArrays = async function* (): AsyncGenerator<unknown> {
      yield { slice: slice(day(0), { AAA: '100' }), before: [] };
    };
    const follow = loosely(portfolio)['follow'] as (g: unknown, f: unknown) => Promise<number>;
    await refused(follow.call(portfolio, notArrays(), () => {}), DataError, 'follow: each group must be an array of { slice, before }, got an object with keys before, slice');
  });

  it('run refuses an onSlice that is not a function before any slice is run', async () => {
    const { portfolio } = await openOne();
    const source = (async function* (): AsyncGenerator<BarSlice> {
      yield slice(day(0), { AAA: '100' });
    })();
    const run = loosely(portfolio)['run'] as (s: unknown, f: unknown) => Promise<number>;
    await refused(run.call(portfolio, source, 5), ConfigError, 'run: onSlice must be a function when given, got 5');
    expect(portfolio.status().slices).toBe(0);
    await portfolio.executeBar(day(0), { AAA: bar });
  });
});

describe('verifying a log', () => {
  it('a stream that holds no event is not a verified portfolio log: the verdict says there is nothing to verify', async () => {
    const store = await openEventStore('memory:');
    expect(await verifyPortfolioLog(store, portfolioStream('typo'))).toEqual({
      ok: false,
      stream: 'portfolio-typo',
      events: 0,
      check: 'portfolio',
      revision: -1,
      position: 0,
      reason: 'the stream portfolio-typo holds no events: there is no portfolio log to verify (is the portfolio id right?)',
    });
    await store.close();
  });
});
