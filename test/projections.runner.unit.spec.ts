import { describe, expect, it } from 'vitest';
import {
  CHECKPOINT_COLLECTION,
  CHECKPOINT_KIND,
  openDocument,
  ConfigError,
  MemoryLog,
  ProjectionRunner,
  createMemoryEventStore,
  encodeState,
  decodeState,
  parseAsOf,
  portfolioProjection,
  portfolioSummary,
  positionsView,
  standardProjections,
  Dec,
  StoreFullError,
  type EventStore,
  type Projection,
  type RecordedEvent,
} from '../src/index.js';
import { STREAM, T1, T2, T3, appendBatches, fixtureBatches } from './projections.fixture.js';

const json = (states: unknown): string => JSON.stringify(encodeState(states));

describe('projection runner', () => {
  it('resuming from a checkpoint gives the same state as a full fold', async () => {
    const log = new MemoryLog();
    const store = createMemoryEventStore({ log });
    const batches = fixtureBatches();
    const head = await appendBatches(store, batches.slice(0, 2));
    const first = await new ProjectionRunner(store, standardProjections(), { stream: STREAM, checkpointEvery: 3 }).run();
    expect(first.resumed).toEqual([]);
    await appendBatches(store, batches.slice(2), head);
    const resumed = await new ProjectionRunner(store, standardProjections(), { stream: STREAM, checkpointEvery: 3 }).run();
    expect(resumed.resumed).toHaveLength(Object.keys(standardProjections()).length);
    expect(resumed.eventsFolded).toBe(6); // only the two later slices are read
    const full = await new ProjectionRunner(createMemoryEventStore({ log: new MemoryLog() }), standardProjections(), {
      stream: STREAM,
      checkpointEvery: 0,
    }).run();
    expect(full.eventsFolded).toBe(0);
    const fresh = createMemoryEventStore();
    await appendBatches(fresh, fixtureBatches());
    const reference = await new ProjectionRunner(fresh, standardProjections(), { stream: STREAM, checkpointEvery: 0 }).run();
    expect(json(resumed.states)).toBe(json(reference.states));
  });

  it('rebuilds a projection from zero when its version changes', async () => {
    const store = createMemoryEventStore();
    await appendBatches(store, fixtureBatches());
    let evolved = 0;
    const counting = (version: number): Projection<number> => ({
      name: 'count',
      version,
      init: () => 0,
      evolve: (n) => {
        evolved += 1;
        return n + 1;
      },
    });
    await new ProjectionRunner(store, { c: counting(1) }, { stream: STREAM }).run();
    evolved = 0;
    const same = await new ProjectionRunner(store, { c: counting(1) }, { stream: STREAM }).run();
    expect([same.resumed, evolved, same.states.c]).toEqual([['c'], 0, 16]);
    const bumped = await new ProjectionRunner(store, { c: counting(2) }, { stream: STREAM }).run();
    expect([bumped.resumed, evolved, bumped.states.c]).toEqual([[], 16, 16]);
    expect(await store.documents.get(CHECKPOINT_COLLECTION, `count@${STREAM}`)).toContain('"version":2');
  });

  it('stops at a bar time (null-time events before the first slice included) or at a position', async () => {
    const store = createMemoryEventStore();
    await appendBatches(store, fixtureBatches());
    const runner = new ProjectionRunner(store, { portfolio: portfolioProjection }, { stream: STREAM });
    await runner.run(); // leaves a checkpoint at the end that as-of runs must not use
    const beforeSlices = await runner.run({ asOf: parseAsOf('2023-12-31') });
    expect(beforeSlices.states.portfolio.events).toBe(5);
    expect(beforeSlices.states.portfolio.portfolioValue.toString()).toBe('1000');
    const atT2 = await runner.run({ asOf: { kind: 'time', time: T2 } });
    expect(atT2.states.portfolio.portfolioValue.toString()).toBe('1058');
    expect(atT2.lastBarTime).toBe(T2);
    const atPosition = await runner.run({ asOf: parseAsOf('10') }); // position 10 = revision 9, the first BarMarked
    expect(atPosition.states.portfolio.portfolioValue.toString()).toBe('1009');
    expect(atPosition.states.portfolio.lastBarTime).toBe(T1);
    const end = await runner.run();
    expect(end.resumed).toEqual(['portfolio']);
    expect(end.states.portfolio.portfolioValue.toString()).toBe('1053');
  });

  it('a position inside a slice folds to the end of the slice before it, so every view tells one state', async () => {
    const store = createMemoryEventStore();
    await appendBatches(store, fixtureBatches());
    const runner = new ProjectionRunner(store, standardProjections(), { stream: STREAM, checkpointEvery: 4 });
    await runner.run(); // checkpoints at slice ends and inside slices, which as-of runs must use only where they fit
    // Positions: 1–5 the opening, 6–10 T1 (mark at 10), 11–12 T2 (mark at 12), 13–16 T3 (transfers at 14–15, mark at 16).
    const lastFolded = [1, 2, 3, 4, 5, 5, 5, 5, 5, 10, 10, 12, 12, 12, 12, 16];
    const leftOut = [null, null, null, null, null, T1, T1, T1, T1, null, T2, null, T3, T3, T3, null];
    for (let position = 1; position <= 16; position += 1) {
      const r = await runner.run({ asOf: { kind: 'position', position } });
      const at = `as of position ${position}`;
      expect(r.position, at).toBe(lastFolded[position - 1]);
      expect(r.incompleteSlice, at).toBe(leftOut[position - 1]);
      const summary = portfolioSummary(r.states.portfolio, r.states.performance);
      const accounts = r.states.performance.accounts;
      const books = new Map(positionsView(r.states.positions).strategies.map((b) => [b.strategyId, b]));
      let total = new Dec(summary.reserve);
      for (const [id, account] of accounts.strategies) {
        total = total.plus(account.value);
        expect(books.get(id)?.value, `${at}: ${id}'s book and account`).toBe(account.value.toString());
        expect(r.states.portfolio.strategyValues.get(id)?.toString() ?? '0', `${at}: ${id} in the summary`).toBe(account.value.toString());
      }
      expect(total.toString(), `${at}: reserve + strategies`).toBe(summary.portfolioValue);
      expect(summary.reserve, at).toBe(accounts.reserve.toString());
    }
    const opening = await runner.run({ asOf: parseAsOf('2023-12-31') });
    expect([opening.states.portfolio.reserve.toString(), portfolioSummary(opening.states.portfolio, opening.states.performance).cash]).toEqual(['100', '1000']);
  });

  it('parses --as-of and rejects text that is neither a time nor a position', () => {
    expect(parseAsOf('2024-01-02T00:00:00Z')).toEqual({ kind: 'time', time: T2 });
    expect(parseAsOf('2024-01-02')).toEqual({ kind: 'time', time: T2 });
    expect(parseAsOf('2024-01-02T01:00:00+01:00')).toEqual({ kind: 'time', time: T2 });
    expect(parseAsOf(' 42 ')).toEqual({ kind: 'position', position: 42 });
    expect(() => parseAsOf('yesterday')).toThrow(ConfigError);
    expect(() => parseAsOf('2024-13-45')).toThrow(/as-of/);
  });

  it('follows live appends', async () => {
    const store = createMemoryEventStore();
    const batches = fixtureBatches();
    const head = await appendBatches(store, batches.slice(0, 2));
    const runner = new ProjectionRunner(store, { portfolio: portfolioProjection }, { stream: STREAM, checkpointEvery: 0 });
    const seen: number[] = [];
    let done: () => void = () => undefined;
    const reachedEnd = new Promise<void>((resolve) => {
      done = resolve;
    });
    const follow = await runner.follow({
      onEvent: (states, event: RecordedEvent) => {
        seen.push(event.metadata.revision);
        if (states.portfolio.events === 16) done();
      },
    });
    expect(runner.states.portfolio.portfolioValue.toString()).toBe('1009');
    await appendBatches(store, batches.slice(2), head);
    await reachedEnd;
    await follow.stop();
    expect(seen).toEqual([10, 11, 12, 13, 14, 15]);
    expect(runner.states.portfolio.portfolioValue.toString()).toBe('1053');
  });

  it('folds in place to the same states as the pure evolve, without changing any state it handed out', async () => {
    const store = createMemoryEventStore();
    const batches = fixtureBatches();
    const head = await appendBatches(store, batches.slice(0, 2));
    const projections = standardProjections({ keep: 2 });
    const runner = new ProjectionRunner(store, projections, { stream: STREAM, checkpointEvery: 0 });
    const handedOut: { states: unknown; text: string }[] = [];
    let done: () => void = () => undefined;
    const reachedEnd = new Promise<void>((resolve) => {
      done = resolve;
    });
    const follow = await runner.follow({
      onEvent: (states) => {
        handedOut.push({ states, text: json(states) });
        if (states.portfolio.events === 16) done();
      },
    });
    const afterCatchUp = runner.states;
    const afterCatchUpText = json(afterCatchUp);
    await appendBatches(store, batches.slice(2), head);
    await reachedEnd;
    await follow.stop();
    // Reference: every event folded with each projection's own evolve.
    const events: RecordedEvent[] = [];
    for await (const e of store.readStream(STREAM)) events.push(e);
    const reference = Object.fromEntries(
      Object.entries(projections).map(([key, p]) => [key, events.reduce<unknown>((s, e) => (p.evolve as (s: unknown, e: RecordedEvent) => unknown)(s, e), p.init())]),
    );
    expect(json(runner.states)).toBe(json(reference));
    expect(json(afterCatchUp)).toBe(afterCatchUpText);
    for (const h of handedOut) expect(json(h.states)).toBe(h.text);
    expect(handedOut).toHaveLength(6);
    expect(runner.states.trades.recent).toHaveLength(1); // one round trip closed (keep 2 caps the list)
  });

  it('drops an in-place projection whose step failed instead of keeping or checkpointing a half-folded state', async () => {
    const store = createMemoryEventStore();
    await appendBatches(store, fixtureBatches());
    const failing: Projection<{ n: number }, { n: number }> = {
      name: 'failing',
      version: 1,
      init: () => ({ n: 0 }),
      evolve: (s) => ({ n: s.n + 1 }),
      inPlace: {
        begin: (s) => ({ ...s }),
        step: (w, e) => {
          w.n += 1;
          if (e.metadata.revision === 9) throw new Error('cannot fold this');
        },
        end: (w) => w,
      },
    };
    const runner = new ProjectionRunner(store, { f: failing }, { stream: STREAM, checkpointEvery: 4 });
    await expect(runner.run()).rejects.toThrow(/projection "failing" cannot fold BarMarked at stream "portfolio-p1", revision 9, position 10: cannot fold this/);
    expect(runner.states.f).toEqual({ n: 0 });
    // The last checkpoint saved is the one before the failure (revision 7, every 4 events), never a later one.
    const saved = openDocument((await store.documents.get(CHECKPOINT_COLLECTION, `failing@${STREAM}`)) ?? '', { kind: CHECKPOINT_KIND });
    expect(saved.ok && saved.header.anchor.revision).toBe(7);
    expect(saved.ok && saved.body).toMatchObject({ state: { n: 8 } });
  });

  it('checkpoints the capital accounts as plain values: strategy values read back as the marks recorded them', async () => {
    const store = createMemoryEventStore();
    await appendBatches(store, fixtureBatches());
    const { states } = await new ProjectionRunner(store, { performance: standardProjections().performance }, { stream: STREAM, checkpointEvery: 0 }).run();
    const encoded = encodeState(states.performance) as { accounts: { strategies: { $map: [string, Record<string, unknown>][] } } };
    // b was last marked at 345 (T3); a at 648 (T2), then 48 moved out: 600.
    expect(encoded.accounts.strategies.$map.map(([id, a]) => [id, a.value, a.marked])).toEqual([
      ['a', { $dec: '600' }, true],
      ['b', { $dec: '345' }, true],
    ]);
    const back = decodeState(JSON.parse(JSON.stringify(encoded))) as typeof states.performance;
    expect(back.accounts.strategies.get('b')?.value.toString()).toBe('345');
    expect(json(back)).toBe(json(states.performance));
  });

  it('a store whose disk is full saves no checkpoint and says so, and the fold is the same as with checkpoints', async () => {
    const store = createMemoryEventStore();
    await appendBatches(store, fixtureBatches());
    let tries = 0;
    const full: EventStore = Object.create(store, {
      documents: {
        value: {
          ...store.documents,
          put: async () => {
            tries += 1;
            throw new StoreFullError(store.url, 'no space left');
          },
        },
      },
    }) as EventStore;
    const run = await new ProjectionRunner(full, standardProjections(), { stream: STREAM, checkpointEvery: 3 }).run();
    expect(run.checkpointsSaved).toBe(false);
    expect(run.checkpointsFull).toBe(true);
    // After the first refusal it stops trying: every later one would fail the same way.
    expect(tries).toBe(1);
    const reference = await new ProjectionRunner(store, standardProjections(), { stream: STREAM, checkpointEvery: 3 }).run();
    expect(reference.checkpointsFull).toBe(false);
    expect(json(run.states)).toBe(json(reference.states));
  });

  it('checkpoint encoding round-trips Decimals, Maps and non-finite numbers', () => {
    const state = { m: new Map([['a', { v: new Dec('1.25'), n: Number.NaN }]]), i: Number.POSITIVE_INFINITY, s: 'x' };
    const back = decodeState(JSON.parse(JSON.stringify(encodeState(state)))) as typeof state;
    expect(back.m.get('a')?.v.equals(new Dec('1.25'))).toBe(true);
    expect(back.m.get('a')?.n).toBeNaN();
    expect(back.i).toBe(Number.POSITIVE_INFINITY);
    expect(() => encodeState({ d: new Date(0) })).toThrow(/checkpoints cannot hold/);
  });
});
