// Parity: every projection rebuilt from an engine-written SQLite log (and replay/audit on it) agrees exactly with what the engine reported while it ran.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { openEventStore } from '../events/openEventStore.js';
import { portfolioStream, type SealedEvent } from '../events/envelope.js';
import { RESERVE } from '../events/catalogue.js';
import { Dec, ZERO, dec, decStr } from '../src/money/decimal.js';
import {
  ProjectionRunner,
  attributionView,
  portfolioSummary,
  positionsView,
  standardProjections,
  strategyMetrics,
  verifyPortfolioLog,
  type RunResult,
} from '../projections/index.js';
import type { SliceReport } from '../actors/portfolio.js';
import { EVENTS_AT, FAULT_BAR, runBacktest, runDemo, type EngineRecord } from './fixtures/parity/parityRun.js';
import { captureIO } from './fixtures/cliRun.js';

const BARS = 200;

type Standard = ReturnType<typeof standardProjections>;

/** The BarMarked that closes a slice, as the engine reported it. */
function markOf(report: SliceReport): Extract<SealedEvent, { type: 'BarMarked' }> {
  const last = report.events[report.events.length - 1];
  if (last?.type !== 'BarMarked') throw new Error(`slice ${report.time} does not end with BarMarked`);
  return last;
}

/** Every event the engine committed, in order: the opening, then each slice's. */
function engineEvents(rec: EngineRecord): SealedEvent[] {
  return [...rec.opening, ...rec.reports.flatMap((r) => r.events)];
}

interface Independent {
  /** Per strategy: r = (V − T_after) / (V_prev + T_before) − 1, one per mark with a positive base (T_before: funding and liquidation cover, made before execution). */
  readonly returns: Map<string, number[]>;
  readonly portfolioReturns: number[];
  /** Per strategy: net capital transferred in over its life. */
  readonly netIn: Map<string, Dec>;
  /** Per strategy: its last marked value plus transfers since, and 0 once removed. */
  readonly lastValue: Map<string, Dec>;
}

/** Returns and flows recomputed from the engine's own events up to and including slice `upTo`. */
function independent(rec: EngineRecord, upTo = rec.reports.length - 1): Independent {
  const base = new Map<string, Dec>();
  const after = new Map<string, Dec>();
  const netIn = new Map<string, Dec>();
  const lastValue = new Map<string, Dec>();
  const returns = new Map<string, number[]>();
  const portfolioReturns: number[] = [];
  let pv: Dec | null = null;
  const events = [...rec.opening, ...rec.reports.slice(0, upTo + 1).flatMap((r) => r.events)];
  for (const e of events) {
    if (e.type === 'PortfolioOpened') pv = dec(e.data.totalCapital);
    // A removed strategy's whole value went back with its last transfer: what it still held is nothing.
    if (e.type === 'StrategyRemoved') lastValue.set(e.data.strategyId, ZERO);
    if (e.type === 'CapitalTransferred') {
      const amount = dec(e.data.amount);
      const beforeExecution = e.data.reason === 'initial allocation' || e.data.reason === 'liquidation: the reserve covers the deficit';
      for (const [id, delta] of [[e.data.from, amount.negated()], [e.data.to, amount]] as const) {
        if (id === RESERVE) continue;
        if (beforeExecution) base.set(id, (base.get(id) ?? ZERO).plus(delta));
        else after.set(id, (after.get(id) ?? ZERO).plus(delta));
        netIn.set(id, (netIn.get(id) ?? ZERO).plus(delta));
        lastValue.set(id, (lastValue.get(id) ?? ZERO).plus(delta));
      }
    }
    if (e.type === 'BarMarked') {
      for (const [id, v] of Object.entries(e.data.strategyValues)) {
        const value = dec(v);
        const b = base.get(id) ?? ZERO;
        if (b.greaterThan(0)) returns.set(id, [...(returns.get(id) ?? []), value.minus(after.get(id) ?? ZERO).div(b).minus(1).toNumber()]);
        base.set(id, value);
        after.set(id, ZERO);
        lastValue.set(id, value);
      }
      const next = dec(e.data.portfolioValue);
      if (pv !== null && pv.greaterThan(0)) portfolioReturns.push(next.div(pv).minus(1).toNumber());
      pv = next;
    }
  }
  return { returns, portfolioReturns, netIn, lastValue };
}

/** Total return, annualised volatility and Sharpe (×252, ddof 1, risk-free 0) by two-pass sums. */
function stats(rs: readonly number[]): { observations: number; totalReturn: number; annualVolatility: number; sharpeRatio: number } {
  let growth = 1;
  let sum = 0;
  for (const r of rs) {
    growth *= 1 + r;
    sum += r;
  }
  const mean = sum / rs.length;
  let ss = 0;
  for (const r of rs) ss += (r - mean) ** 2;
  const sd = Math.sqrt(ss / (rs.length - 1));
  return { observations: rs.length, totalReturn: growth - 1, annualVolatility: sd * Math.sqrt(252), sharpeRatio: (mean / sd) * Math.sqrt(252) };
}

function expectRelative(actual: number | null | undefined, expected: number, what: string): void {
  expect(actual, what).not.toBeNull();
  const a = actual as number;
  const tolerance = 1e-12 * Math.max(Math.abs(expected), Number.MIN_VALUE);
  expect(Math.abs(a - expected) <= tolerance, `${what}: ${a} vs ${expected}`).toBe(true);
}

const strs = (m: ReadonlyMap<string, Dec>): Record<string, string> => Object.fromEntries([...m.entries()].map(([k, v]) => [k, decStr(v)]));

async function rebuild(path: string, stream: string, asOf?: { kind: 'time'; time: string }): Promise<RunResult<Standard>> {
  const store = await openEventStore(`sqlite:${path}`, { durability: 'normal' });
  try {
    return await new ProjectionRunner(store, standardProjections(), { stream }).run(asOf ? { asOf } : {});
  } finally {
    await store.close();
  }
}

const capture = captureIO;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await main(['node', 'stratafolio', ...args], c.io);
  return { code, out: c.out(), err: c.err() };
}

type Json = Record<string, unknown>;
const get = (j: unknown, ...path: (string | number)[]): unknown => path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | null)?.[k], j);

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stratafolio-parity-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const scenarios = [
  { name: 'the demo (risk parity, monthly + drift)', file: 'demo.db', run: runDemo, earlier: [0, 19, 60, 120, 170] },
  {
    name: 'a kelly backtest with a pause, a resume, a fault, a removal and a manual rebalance',
    file: 'backtest.db',
    run: runBacktest,
    earlier: [0, EVENTS_AT.pause, FAULT_BAR, EVENTS_AT.resume, EVENTS_AT.remove - 1, EVENTS_AT.remove, EVENTS_AT.manualRebalance, 180],
  },
] as const;

describe.each(scenarios)('parity on $name', ({ file, run, earlier }) => {
  let rec: EngineRecord;
  let stream = '';
  let end: RunResult<Standard>;

  beforeAll(async () => {
    rec = await run(join(dir, file), BARS);
    stream = portfolioStream(rec.portfolioId);
    end = await rebuild(rec.path, stream);
  }, 60_000);

  it('the scenario exercised what it claims to (rebalances, and for the backtest the pause, fault and removal)', () => {
    const types = new Set(engineEvents(rec).map((e) => e.type));
    expect(rec.reports).toHaveLength(BARS);
    expect(rec.status.rebalances).toBeGreaterThan(2);
    if (file === 'backtest.db') {
      for (const t of ['StrategyFaulted', 'StrategyRemoved', 'RebalanceDecided'] as const) expect(types.has(t)).toBe(true);
      const lifecycle = engineEvents(rec).flatMap((e) => (e.type === 'StrategyLifecycleChanged' ? [`${e.data.strategyId}:${e.data.from}>${e.data.to}`] : []));
      expect(lifecycle).toEqual(expect.arrayContaining(['momentum:running>paused', 'momentum:paused>running', 'faulty:running>paused', 'faulty:paused>running', 'trend:liquidating>stopped']));
      const triggers = engineEvents(rec).flatMap((e) => (e.type === 'RebalanceDecided' ? [e.data.trigger] : []));
      expect(triggers).toEqual(expect.arrayContaining(['schedule', 'manual']));
    }
  });

  it('rebuilds the final portfolio value, reserve, and each strategy value and cash exactly', () => {
    const last = rec.reports[rec.reports.length - 1] as SliceReport;
    const mark = markOf(last).data;
    const p = end.states.portfolio;
    expect(end.lastBarTime).toBe(last.time);
    expect(decStr(p.portfolioValue)).toBe(rec.status.portfolioValue);
    expect(decStr(p.portfolioValue)).toBe(last.portfolioValue);
    expect(decStr(p.reserve)).toBe(rec.status.reserve);
    expect(strs(p.strategyValues)).toEqual(last.strategyValues);
    expect(strs(p.strategyCash)).toEqual(mark.strategyCash);
    const summary = portfolioSummary(p, end.states.performance);
    expect(summary.portfolioValue).toBe(rec.status.portfolioValue);
    expect(summary.reserve).toBe(rec.status.reserve);
    for (const s of rec.status.strategies) {
      expect(summary.strategies[s.id], s.id).toBe(s.state);
      if (!s.removed) {
        expect(decStr(p.strategyValues.get(s.id) ?? dec('-1')), s.id).toBe(s.value);
        expect(decStr(p.strategyCash.get(s.id) ?? dec('-1')), s.id).toBe(s.cash);
      }
    }
    // The capital accounts (performance, attribution, replay's value column) hold each strategy's value too; a removed one holds 0.
    const accounts = end.states.performance.accounts.strategies;
    expect(Object.fromEntries(rec.status.strategies.map((s) => [s.id, decStr(accounts.get(s.id)?.value ?? dec('-1'))]))).toEqual(
      Object.fromEntries(rec.status.strategies.map((s) => [s.id, s.value])),
    );
  });

  it('rebuilds each strategy positions, cash and value equal to status()', () => {
    const view = positionsView(end.states.positions);
    expect(view.strategies.map((s) => s.strategyId)).toEqual(rec.status.strategies.map((s) => s.id));
    for (const s of rec.status.strategies) {
      const rebuilt = view.strategies.find((v) => v.strategyId === s.id);
      expect(Object.fromEntries((rebuilt?.positions ?? []).map((p) => [p.symbol, p.quantity])), s.id).toEqual(s.positions);
      expect(rebuilt?.cash, s.id).toBe(s.cash);
      expect(rebuilt?.value, s.id).toBe(s.value);
    }
    const aggregate = new Map<string, Dec>();
    for (const s of rec.status.strategies) for (const [sym, q] of Object.entries(s.positions)) aggregate.set(sym, (aggregate.get(sym) ?? ZERO).plus(q));
    expect(Object.fromEntries(view.aggregate.map((a) => [a.symbol, a.quantity]))).toEqual(strs(aggregate));
  });

  it('as of earlier bar times, rebuilds the values the engine reported at that slice', async () => {
    const pnlRebuilt: Record<number, string> = {};
    const pnlReported: Record<number, string> = {};
    for (const k of earlier) {
      const report = rec.reports[k] as SliceReport;
      const r = await rebuild(rec.path, stream, { kind: 'time', time: report.time });
      const p = r.states.portfolio;
      expect(r.lastBarTime, `slice ${k}`).toBe(report.time);
      expect(decStr(p.portfolioValue), `slice ${k}`).toBe(report.portfolioValue);
      expect(decStr(p.reserve), `slice ${k}`).toBe(report.reserve);
      expect(strs(p.strategyValues), `slice ${k}`).toEqual(report.strategyValues);
      expect(strs(p.strategyCash), `slice ${k}`).toEqual(markOf(report).data.strategyCash);
      const ind = independent(rec, k);
      for (const m of strategyMetrics(r.states.performance)) {
        const rs = ind.returns.get(m.strategyId) ?? [];
        expect(m.observations, `${m.strategyId} at slice ${k}`).toBe(rs.length);
        if (rs.length > 0) expectRelative(m.totalReturn, stats(rs).totalReturn, `${m.strategyId} total return at slice ${k}`);
      }
      const pnl = attributionView(r.states.attribution);
      pnlRebuilt[k] = pnl.portfolioPnl;
      pnlReported[k] = decStr(dec(report.portfolioValue).minus(pnl.totalCapital));
    }
    expect(pnlRebuilt, 'attribution P&L as of each slice').toEqual(pnlReported);
  });

  it('lists exactly the RebalanceDecided events with their transfers in the audit trail', () => {
    const expected: { id: string; time: string | null; revision: number; data: unknown; transfers: string[] }[] = [];
    for (const e of engineEvents(rec)) {
      if (e.type === 'RebalanceDecided') {
        expected.push({ id: e.data.rebalanceId, time: e.metadata.barTime, revision: e.metadata.revision, data: e.data, transfers: [] });
      }
      if (e.type === 'CapitalTransferred' && e.data.rebalanceId !== null) {
        expected.find((x) => x.id === e.data.rebalanceId)?.transfers.push(`${e.data.from}>${e.data.to}:${e.data.amount}`);
      }
    }
    expect(expected).toHaveLength(rec.status.rebalances);
    const audit = end.states.rebalances;
    expect(audit.total).toBe(expected.length);
    expect(
      audit.rebalances.map((r) => ({ id: r.rebalanceId, time: r.barTime, revision: r.revision, data: r.decision, transfers: r.transfers.map((t) => `${t.from}>${t.to}:${t.amount}`) })),
    ).toEqual(expected);
    for (const r of audit.rebalances) {
      const moved = r.transfers.reduce((s, t) => s.plus(t.amount), ZERO);
      expect(r.capitalMoved, r.rebalanceId).toBe(decStr(moved));
      expect(Object.values(r.netByAccount).reduce((s, v) => s.plus(v), ZERO).isZero(), r.rebalanceId).toBe(true);
    }
  });

  it("attributes P&L per strategy (value − net transfers in) summing exactly to the portfolio's P&L", () => {
    const view = attributionView(end.states.attribution);
    const opened = rec.opening[0];
    if (opened?.type !== 'PortfolioOpened') throw new Error('the log does not open with PortfolioOpened');
    const pnl = dec(rec.status.portfolioValue).minus(opened.data.totalCapital);
    expect(decStr(view.strategies.reduce((s, x) => s.plus(x.contribution), ZERO))).toBe(view.portfolioPnl);
    const ind = independent(rec);
    expect(Object.fromEntries(view.strategies.map((r) => [r.strategyId, r.contribution]))).toEqual(
      Object.fromEntries(view.strategies.map((r) => [r.strategyId, decStr((ind.lastValue.get(r.strategyId) ?? ZERO).minus(ind.netIn.get(r.strategyId) ?? ZERO))])),
    );
    expect(view.portfolioPnl, 'portfolio P&L = final value − capital').toBe(decStr(pnl));
  });

  it('computes per-strategy and portfolio returns, volatility and Sharpe equal to an independent computation from the marks and transfers', () => {
    const ind = independent(rec);
    const metrics = strategyMetrics(end.states.performance);
    expect(metrics.map((m) => m.strategyId).sort()).toEqual([...ind.returns.keys()].sort());
    for (const m of metrics) {
      const expected = stats(ind.returns.get(m.strategyId) ?? []);
      expect(m.observations, m.strategyId).toBe(expected.observations);
      expectRelative(m.totalReturn, expected.totalReturn, `${m.strategyId} total return`);
      expectRelative(m.annualVolatility, expected.annualVolatility, `${m.strategyId} volatility`);
      expectRelative(m.sharpeRatio, expected.sharpeRatio, `${m.strategyId} Sharpe`);
    }
    const portfolio = portfolioSummary(end.states.portfolio, end.states.performance).metrics;
    const expected = stats(ind.portfolioReturns);
    expect(portfolio.observations).toBe(BARS);
    expectRelative(portfolio.totalReturn, expected.totalReturn, 'portfolio total return');
    expectRelative(portfolio.totalReturn, dec(rec.status.portfolioValue).div(rec.status.totalCapital).minus(1).toNumber(), 'portfolio return on capital');
    expectRelative(portfolio.annualVolatility, expected.annualVolatility, 'portfolio volatility');
    expectRelative(portfolio.sharpeRatio, expected.sharpeRatio, 'portfolio Sharpe');
  });

  it('verifies the engine-written log, and a second run resumes every projection from its checkpoint with the same numbers', async () => {
    const store = await openEventStore(`sqlite:${rec.path}`, { durability: 'normal' });
    try {
      const v = await verifyPortfolioLog(store, stream);
      expect(v).toMatchObject({ ok: true, events: engineEvents(rec).length, rebalances: rec.status.rebalances, marks: BARS });
    } finally {
      await store.close();
    }
    const again = await rebuild(rec.path, stream);
    expect([...again.resumed].sort()).toEqual(Object.keys(standardProjections()).sort());
    expect(again.eventsFolded).toBe(0);
    expect(decStr(again.states.portfolio.portfolioValue)).toBe(rec.status.portfolioValue);
    expect(positionsView(again.states.positions)).toEqual(positionsView(end.states.positions));
  });

  it('replay --json prints the numbers the engine reported, at the end and as of an earlier bar time', async () => {
    const r = await cli('replay', '--store', `sqlite:${rec.path}`, '--json');
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out) as Json;
    expect(get(j, 'summary', 'portfolioValue')).toBe(rec.status.portfolioValue);
    expect(get(j, 'summary', 'reserve')).toBe(rec.status.reserve);
    expect(get(j, 'revision')).toBe(rec.status.revision);
    const rows = get(j, 'strategies') as Json[];
    expect(rows.map((s) => s.strategyId)).toEqual(rec.status.strategies.map((s) => s.id));
    const ind = independent(rec);
    for (const s of rec.status.strategies) {
      const row = rows.find((x) => x.strategyId === s.id) as Json;
      expect(row.state, s.id).toBe(s.state);
      const expected = stats(ind.returns.get(s.id) ?? []);
      expectRelative(row.totalReturn as number, expected.totalReturn, `replay ${s.id} total return`);
      expectRelative(row.sharpeRatio as number, expected.sharpeRatio, `replay ${s.id} Sharpe`);
      const book = (get(j, 'positions', 'strategies') as Json[]).find((x) => x.strategyId === s.id) as Json;
      expect(Object.fromEntries((book.positions as Json[]).map((p) => [p.symbol, p.quantity])), s.id).toEqual(s.positions);
      expect(book.cash, s.id).toBe(s.cash);
    }

    const k = earlier[Math.floor(earlier.length / 2)] as number;
    const report = rec.reports[k] as SliceReport;
    const asOf = await cli('replay', '--store', `sqlite:${rec.path}`, '--as-of', report.time, '--json');
    expect(asOf.code, asOf.err).toBe(0);
    const a = JSON.parse(asOf.out) as Json;
    expect(get(a, 'summary', 'asOf')).toBe(report.time);
    expect(get(a, 'summary', 'portfolioValue')).toBe(report.portfolioValue);
    expect(get(a, 'summary', 'reserve')).toBe(report.reserve);
    const valued = Object.fromEntries((get(a, 'strategies') as Json[]).filter((s) => s.strategyId as string in report.strategyValues).map((s) => [s.strategyId, s.value]));
    expect(valued).toEqual(report.strategyValues);

    // Last, so that the checks above report on their own: the value column and the P&L at the end.
    expect(Object.fromEntries(rows.map((s) => [s.strategyId, s.value]))).toEqual(Object.fromEntries(rec.status.strategies.map((s) => [s.id, s.value])));
    expect(get(j, 'attribution', 'portfolioPnl')).toBe(decStr(dec(rec.status.portfolioValue).minus(rec.status.totalCapital)));
  });

  it('audit --json lists every rebalance; audit --verify exits 0 on the log the engine wrote', async () => {
    const list = await cli('audit', '--store', `sqlite:${rec.path}`, '--json');
    expect(list.code, list.err).toBe(0);
    const ids = engineEvents(rec).flatMap((e) => (e.type === 'RebalanceDecided' ? [e.data.rebalanceId] : []));
    expect((get(JSON.parse(list.out), 'rebalances') as Json[]).map((r) => r.rebalanceId)).toEqual(ids);
    const verify = await cli('audit', '--store', `sqlite:${rec.path}`, '--verify', '--json');
    expect(verify.code, verify.err).toBe(0);
    expect(get(JSON.parse(verify.out), 'verification')).toMatchObject({ ok: true, stream, events: engineEvents(rec).length, marks: BARS });
  });

  it('audit --verify exits non-zero naming the revision and position of a fill whose stored body lost one byte', async () => {
    const copy = join(dir, `tampered-${file}`);
    copyFileSync(rec.path, copy);
    // A fill in the middle of the run: far from either end, so only the check can find it.
    const fill = rec.reports.slice(BARS / 2).flatMap((r) => r.events).find((e) => e.type === 'FillRecorded');
    if (!fill) throw new Error('no fill in the second half of the run');
    const revision = fill.metadata.revision;
    const sql = new Database(copy);
    const row = sql.prepare('SELECT position, body FROM events WHERE stream = ? AND revision = ?').get(stream, revision) as { position: number; body: string };
    const at = row.body.indexOf('"price":"') + '"price":"'.length;
    const digit = row.body[at] as string;
    expect(digit).toMatch(/[1-9]/);
    const edited = `${row.body.slice(0, at)}${digit === '9' ? '8' : String(Number(digit) + 1)}${row.body.slice(at + 1)}`;
    expect(edited.length).toBe(row.body.length);
    expect(sql.prepare('UPDATE events SET body = ? WHERE stream = ? AND revision = ?').run(edited, stream, revision).changes).toBe(1);
    sql.close();

    const r = await cli('audit', '--store', `sqlite:${copy}`, '--verify', '--json');
    expect(r.code).not.toBe(0);
    expect(get(JSON.parse(r.out), 'verification')).toMatchObject({ ok: false, stream, revision, position: row.position });
    const human = await cli('audit', '--store', `sqlite:${copy}`, '--verify');
    expect(human.code).not.toBe(0);
    expect(human.out).toContain(`BROKEN ${stream} at revision ${revision}, position ${row.position}`);
  });
});
