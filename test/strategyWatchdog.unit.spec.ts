import { describe, expect, it } from 'vitest';
import { StrategyWatchdog } from '../actors/strategyWatchdog.js';
import { StrategyTimeoutError } from '../src/errors.js';
import { BoundedRunner } from '../src/strategy/boundedRun.js';

/** A real runner that counts the watchdogs it starts. */
function countingRunner(): { runner: Pick<BoundedRunner, 'run'>; runs: () => number } {
  const real = new BoundedRunner();
  let runs = 0;
  return {
    runner: {
      run: (timeoutMs, call) => {
        runs += 1;
        return real.run(timeoutMs, call);
      },
    },
    runs: () => runs,
  };
}

/** What `f` throws (null when it returns). */
function thrownBy(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}

/** The clock the CLI hands the engine for spans. */
const now = (): number => performance.now();

const busy = (ms: number): void => {
  const start = performance.now();
  while (performance.now() - start < ms);
};

describe('the strategy watchdog over several slices (a span)', () => {
  it("decides quick slices under one watchdog, and the slices' batches inside it start none of their own", () => {
    const counting = countingRunner();
    const watchdog = new StrategyWatchdog(5_000, { now, runner: counting.runner });
    const seen: string[] = [];
    let i = 0;
    watchdog.span(() => {
      const bar = `2024-01-0${i + 1}`;
      watchdog.run(bar, () => {
        watchdog.enter('s1', 'onBar', bar);
        seen.push(bar);
      });
      i += 1;
      return i < 5;
    });
    expect(seen).toEqual(['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04', '2024-01-05']);
    expect(counting.runs()).toBe(1);
    // Outside a span, each batch has its own watchdog again.
    watchdog.run('2024-01-06', () => undefined);
    expect(counting.runs()).toBe(2);
  });

  it('without a clock, gives each slice of a span its own watchdog (the engine reads no clock of its own)', () => {
    const counting = countingRunner();
    const watchdog = new StrategyWatchdog(5_000, { runner: counting.runner });
    let i = 0;
    watchdog.span(() => {
      watchdog.run(`2024-01-0${i + 1}`, () => undefined);
      i += 1;
      return i < 3;
    });
    expect(i).toBe(3);
    expect(counting.runs()).toBe(3);
  });

  it('starts a fresh watchdog once half the limit is used, so slow slices that each fit are not cut short', () => {
    const counting = countingRunner();
    const watchdog = new StrategyWatchdog(1_000, { now, runner: counting.runner });
    let i = 0;
    // Five slices of 200 ms: 1,000 ms together, the whole limit, but each far within it.
    watchdog.span(() => {
      busy(200);
      i += 1;
      return i < 5;
    });
    expect(i).toBe(5);
    expect(counting.runs()).toBeGreaterThanOrEqual(2);
  });

  it('gives a slice after a slow one a fresh watchdog, so a slower slice still within the limit is not cut short', () => {
    const counting = countingRunner();
    const watchdog = new StrategyWatchdog(1_000, { now, runner: counting.runner });
    const busyMs = [300, 600, 50];
    let i = 0;
    // 300 ms then 600 ms: 900 ms together, but the second gets the whole limit of its own.
    watchdog.span(() => {
      busy(busyMs[i] ?? 0);
      i += 1;
      return i < busyMs.length;
    });
    expect(i).toBe(3);
    expect(counting.runs()).toBeGreaterThanOrEqual(2);
  });

  it('ends an endless loop in a slice of the span, naming the strategy, the phase and that slice’s bar', () => {
    const watchdog = new StrategyWatchdog(200, { now });
    let i = 0;
    const thrown = thrownBy(() =>
      watchdog.span(() => {
        const bar = `2024-01-0${i + 1}`;
        watchdog.run(bar, () => {
          watchdog.enter('quiet', 'onBar', bar);
          watchdog.enter('stuck', 'onBar', bar);
          if (i === 2) for (;;);
        });
        i += 1;
        return i < 5;
      }),
    );
    expect(thrown).toBeInstanceOf(StrategyTimeoutError);
    expect((thrown as StrategyTimeoutError).message).toMatch(/^strategy stuck did not return from onBar at bar 2024-01-03 within 200 ms/);
    // The watchdog is usable again afterwards.
    expect(watchdog.run('2024-01-06', () => 7)).toBe(7);
  });

  it('names the slice being decided when its time runs out outside any strategy call', () => {
    const watchdog = new StrategyWatchdog(200, { now });
    let i = 0;
    const thrown = thrownBy(() =>
      watchdog.span(() => {
        const bar = `2024-03-0${i + 1}`;
        watchdog.slice(bar);
        if (i === 1) for (;;);
        watchdog.run(bar, () => watchdog.enter('quick', 'onBar', bar));
        i += 1;
        return true;
      }),
    );
    expect(thrown).toBeInstanceOf(StrategyTimeoutError);
    expect((thrown as StrategyTimeoutError).message).toMatch(/^strategy \(between strategy calls\) did not return from onBar at bar 2024-03-02 within 200 ms/);
  });

  it('names the time a slice started late in the span had, beside the limit', () => {
    const watchdog = new StrategyWatchdog(400, { now });
    let i = 0;
    // Ten slices of 15 ms share the watchdog (150 ms, each far under a quarter of the limit); the eleventh never returns.
    const thrown = thrownBy(() =>
      watchdog.span(() => {
        const bar = `2024-02-${String(i + 1).padStart(2, '0')}`;
        watchdog.run(bar, () => {
          watchdog.enter('slow', 'onBar', bar);
          if (i < 10) busy(15);
          else for (;;);
        });
        i += 1;
        return true;
      }),
    );
    expect(thrown).toBeInstanceOf(StrategyTimeoutError);
    const message = (thrown as StrategyTimeoutError).message;
    const had = Number(/within (\d+) ms/.exec(message)?.[1]);
    expect(message).toMatch(/^strategy slow did not return from onBar at bar 2024-02-11 within \d+ ms \(a run decides a batch of slices under one watchdog of 400 ms, and this slice started late in it: each gets at least half\)/);
    expect(had).toBeGreaterThanOrEqual(200);
    expect(had).toBeLessThanOrEqual(260);
  });

  it('passes on what a slice throws and leaves the span: the next batch has a watchdog of its own', () => {
    const counting = countingRunner();
    const watchdog = new StrategyWatchdog(1_000, { now, runner: counting.runner });
    let i = 0;
    expect(() =>
      watchdog.span(() => {
        i += 1;
        if (i === 2) throw new RangeError('bad slice');
        return true;
      }),
    ).toThrow(/bad slice/);
    expect(i).toBe(2);
    expect(counting.runs()).toBe(1);
    watchdog.run('2024-01-01', () => undefined);
    expect(counting.runs()).toBe(2);
  });
});
