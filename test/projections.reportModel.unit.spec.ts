// The report's figures on intraday bars: every yearly figure in the bars a year given, and a day meaning a calendar day.
import { describe, expect, it } from 'vitest';
import { ProjectionRunner, domainEvent, openEventStore, type DomainEvent, type PendingEvent } from '../src/index.js';
import { buildReportModel, foldReport, renderReportHtml, reportProjections, type ReportModel, type ReportStates } from '../projections/report/index.js';
import { durationText } from '../projections/report/reportHtml.js';
import { PORTFOLIO, STREAM, T1, T2, T3, appendBatches, fixtureBatches } from './projections.fixture.js';

const MINUTES_A_YEAR = 525_600;

/** The hand-made log, its three slices moved to `times` (T1, T2, T3 in that order). */
async function model(options: { times?: readonly [string, string, string]; annualization?: number; benchmark?: string } = {}): Promise<ReportModel> {
  const [t1, t2, t3] = options.times ?? [T1, T2, T3];
  const moved = new Map([[T1, t1], [T2, t2], [T3, t3]]);
  const batches = fixtureBatches().map((batch): PendingEvent[] => batch.map((p) => ({ ...p, barTime: p.barTime === null ? null : (moved.get(p.barTime) ?? p.barTime) })));
  const store = await openEventStore('memory:');
  await appendBatches(store, batches);
  return foldReport(store, PORTFOLIO, STREAM, {
    asOf: { kind: 'end' },
    verification: null,
    rollingWindow: 2,
    ...(options.benchmark === undefined ? {} : { benchmark: options.benchmark }),
    ...(options.annualization === undefined ? {} : { conventions: { annualization: options.annualization } }),
  });
}

const last = (xs: readonly number[]): number => xs[xs.length - 1] as number;

describe('report figures in the bars a year given', () => {
  it('the rolling volatility is annualised by it, as the rolling Sharpe is', async () => {
    const daily = await model();
    const minutes = await model({ annualization: MINUTES_A_YEAR });
    const ratio = Math.sqrt(MINUTES_A_YEAR / 252);
    expect(last(daily.series.rollingVolatility)).toBeGreaterThan(0);
    expect(last(minutes.series.rollingVolatility)).toBeCloseTo(last(daily.series.rollingVolatility) * ratio, 9);
    expect(last(minutes.series.rollingSharpe)).toBeCloseTo(last(daily.series.rollingSharpe) * ratio, 9);
  });

  it('the tracking error and information ratio against a benchmark are annualised by it', async () => {
    const daily = (await model({ benchmark: 'X' })).benchmark;
    const minutes = (await model({ benchmark: 'X', annualization: MINUTES_A_YEAR })).benchmark;
    const ratio = Math.sqrt(MINUTES_A_YEAR / 252);
    expect(daily?.trackingError).toBeGreaterThan(0);
    expect(minutes?.trackingError).toBeCloseTo((daily?.trackingError ?? Number.NaN) * ratio, 9);
    expect(minutes?.informationRatio).toBeCloseTo((daily?.informationRatio ?? Number.NaN) * ratio, 9);
  });
});

describe('report figures on minute bars', () => {
  // Two minutes before midnight and the first of the next day: portfolio 1000 → 1009 → 1058 | → 1053.
  const times = ['2024-01-01T23:58:00.000Z', '2024-01-01T23:59:00.000Z', '2024-01-02T00:00:00.000Z'] as const;

  it('the best and worst day are calendar days (UTC) of compounded returns, not single bars', async () => {
    const portfolio = (await model({ times })).rows.find((r) => r.id === 'portfolio')?.metrics;
    expect(portfolio?.bestDay).toBeCloseTo(1058 / 1000 - 1, 12);
    expect(portfolio?.worstDay).toBeCloseTo(1053 / 1058 - 1, 12);
  });

  it('with daily bars a day is one bar, as before', async () => {
    const portfolio = (await model()).rows.find((r) => r.id === 'portfolio')?.metrics;
    expect(portfolio?.bestDay).toBeCloseTo(1058 / 1009 - 1, 12);
    expect(portfolio?.worstDay).toBeCloseTo(1053 / 1058 - 1, 12);
  });

  it('labels VaR and ES per bar, and gives a drawdown shorter than a day its hours and minutes, not "0" days', async () => {
    const html = renderReportHtml(await model({ times }));
    expect(html).not.toContain('Daily VaR');
    expect(html).toContain('<th>VaR 95% (per bar)</th>');
    expect(html).toContain('<th>ES 95% (per bar)</th>');
    // The drawdown from the peak at 23:59 has lasted one minute at the last bar.
    expect(html).toMatch(/<th class="num">Duration<\/th>/);
    expect(html).toMatch(/<span class="muted">not yet<\/span><\/td><td[^>]*>[^<]*<\/td><td[^>]*>1 min<\/td>/);
  });

  it('with daily bars a drawdown lasts whole days, shown as such', async () => {
    const html = renderReportHtml(await model());
    expect(html).toMatch(/<span class="muted">not yet<\/span><\/td><td[^>]*>[^<]*<\/td><td[^>]*>1 d<\/td>/);
  });
});

describe('report durations', () => {
  it('a span of a year or more is shown in years and days (years of 365.25 days), shorter ones as before', () => {
    expect(durationText(10_284)).toBe('28 y 57 d');
    expect(durationText(365.25)).toBe('1 y');
    expect(durationText(400)).toBe('1 y 34 d');
    expect(durationText(365)).toBe('365 d');
    expect(durationText(45)).toBe('45 d');
    expect(durationText(2 + 3 / 24)).toBe('2 d 3 h');
    expect(durationText((10 * 60 + 34) / 1440)).toBe('10 h 34 min');
    expect(durationText(0)).toBe('0');
    expect(durationText(Number.NaN)).toBe('–');
  });

  it('a drawdown lasting decades reads in years and days in the metrics and the drawdown table; data-value keeps the days', async () => {
    // The peak at the second slice is not regained by the third, 10 284 days later.
    const m = await model({ times: ['1995-12-31T00:00:00.000Z', '1996-01-01T00:00:00.000Z', '2024-02-27T00:00:00.000Z'] });
    const portfolio = m.rows.find((r) => r.id === 'portfolio')?.metrics;
    expect(portfolio?.longestDrawdownDays).toBe(10_284);
    const html = renderReportHtml(m);
    expect(html).toMatch(/data-metric="portfolio:longestDrawdownDays" data-value="10284">28 y 57 d</);
    expect(html).toMatch(/<span class="muted">not yet<\/span><\/td><td[^>]*>[^<]*<\/td><td[^>]*>28 y 57 d<\/td>/);
    expect(html).not.toMatch(/>10284 d</);
  });
});

/** The fixture's report model with strategy b's series replaced by `change` of it. */
async function modelWithStrategyB(change: (b: SeriesOf) => SeriesOf): Promise<ReturnType<typeof buildReportModel>> {
  const store = await openEventStore('memory:');
  await appendBatches(store, fixtureBatches());
  const result = (await new ProjectionRunner(store, reportProjections(), { stream: STREAM, checkpointEvery: 0 }).run()) as ReportStates;
  const series = result.states.series;
  const b = series.strategies.get('b');
  if (b === undefined) throw new Error('the fixture has strategy b');
  const states = { ...result.states, series: { ...series, strategies: new Map([...series.strategies, ['b', change(b)]]) } };
  return buildReportModel(PORTFOLIO, { ...result, states }, { asOf: { kind: 'end' }, verification: null });
}
type SeriesOf = ReportStates['states']['series']['strategies'] extends ReadonlyMap<string, infer S> ? S : never;

describe('report figures of a strategy that stopped before the end', () => {
  it('its time in market and turnover are over its own bars, as its returns are, not diluted by the bars after it stopped', async () => {
    // b stops after T2: the series then records no return, nothing held and nothing worth (as for a liquidated strategy).
    const m = await modelWithStrategyB((b) => ({ values: [b.values[0] as number, b.values[1] as number, 0], returns: [b.returns[0] as number, b.returns[1] as number, Number.NaN], exposure: [b.exposure[0] as number, b.exposure[1] as number, 0] }));
    const metrics = m.rows.find((r) => r.id === 'b')?.metrics;
    // Short 5 Y on both of its bars (exposure 300 − 400 and 310 − 400), and 100 traded over a mean value of 305.
    expect(metrics?.timeInMarket).toBe(1);
    expect(metrics?.turnover).toBeCloseTo(100 / 305, 12);
  });
});

describe('report figures of a strategy that lost more than its whole value', () => {
  it('gives no best or worst day, month or year (no return compounds past that bar), rather than those before it', async () => {
    // +10% on T1, then a bar that loses four times the value on T2 (a short squeezed), then +5% on T3.
    const m = await modelWithStrategyB((b) => ({ ...b, returns: [0.1, -4, 0.05] }));
    const metrics = m.rows.find((r) => r.id === 'b')?.metrics;
    for (const key of ['bestDay', 'worstDay', 'bestMonth', 'worstMonth', 'bestYear', 'worstYear'] as const) expect(metrics?.[key], key).toBeNaN();
    // The fall below zero is never recovered: it lasts from the peak (T1) to the last bar (T3).
    expect(metrics?.longestDrawdownDays).toBe(2);
    // The page says why its compounded figures are –, as replay does, and names whose they are.
    expect(renderReportHtml(m)).toContain(
      '<p class="muted small" data-field="compounding-note">– for b (total and annual return, CAGR, Calmar, drawdowns, best and worst periods): a bar lost more than the whole value (the value went below zero), and no return compounds past that.</p>',
    );
    expect(renderReportHtml(await model())).not.toContain('data-field="compounding-note"');
  });
});

describe('report figures with no return yet', () => {
  it('an --as-of before the first bar gives no longest drawdown, not one of 0 days', async () => {
    const store = await openEventStore('memory:');
    await appendBatches(store, fixtureBatches());
    const m = await foldReport(store, PORTFOLIO, STREAM, { asOf: { kind: 'time', time: '2023-12-31T00:00:00.000Z' }, verification: null, rollingWindow: 2 });
    const portfolio = m.rows.find((r) => r.id === 'portfolio')?.metrics;
    expect(portfolio?.observations).toBe(0);
    expect(portfolio?.longestDrawdownDays).toBeNaN();
    expect(renderReportHtml(m)).toMatch(/data-metric="portfolio:longestDrawdownDays" data-value="null">–</);
  });
});

describe("the portfolio's turnover", () => {
  it('counts what the portfolio traded with the market: orders its strategies crossed with each other are not its turnover', async () => {
    // Capital 1000, a and b 500 each. At T1 a buys 4 X @ 50 and b sells 4 X @ 50 short: netting crosses them whole (net 0),
    // so the portfolio trades nothing outside; each strategy traded 200 over a mean value of 500.
    const ev = (type: string, data: Record<string, unknown>): DomainEvent => domainEvent(type as 'BarMarked', data as never);
    const added = (strategyId: string): DomainEvent =>
      ev('StrategyAdded', { strategyId, kind: 'test', parameters: {}, allocationPct: '0.5', capital: '500', minAllocation: null, maxAllocation: null, metadata: {} });
    const fund = (to: string): DomainEvent => ev('CapitalTransferred', { from: 'reserve', to, amount: '500', reason: 'initial allocation', rebalanceId: null });
    const fill = (strategyId: string, quantity: string, n: number): DomainEvent =>
      ev('FillRecorded', { orderId: `o${n}`, strategyId, symbol: 'X', quantity, price: '50', commission: '0', slippage: '0' });
    const mark = (cashA: string, cashB: string): DomainEvent =>
      ev('BarMarked', { marks: { X: '50' }, strategyValues: { a: '500', b: '500' }, strategyCash: { a: cashA, b: cashB }, reserve: '0', portfolioValue: '1000' });
    const crossed = ev('OrdersNetted', {
      symbols: [{ symbol: 'X', grossLong: '4', grossShort: '4', net: '0', strategies: ['a', 'b'], grossValue: '400', netValue: '0', commissionSaved: '0' }],
      grossTradedValue: '400',
      netTradedValue: '0',
      commissionSaved: '0',
    });
    const at = (barTime: string | null, events: DomainEvent[]): PendingEvent[] => events.map((event) => ({ event, barTime }));
    const opened = ev('PortfolioOpened', { portfolioId: PORTFOLIO, name: 'crossed', baseCurrency: 'USD', totalCapital: '1000', configHash: 'h', codeVersion: 'test', config: {} });
    const store = await openEventStore('memory:');
    await appendBatches(store, [
      at(null, [opened, added('a'), fund('a'), added('b'), fund('b')]),
      at(T1, [crossed, fill('a', '4', 1), fill('b', '-4', 2), mark('300', '700')]),
      at(T2, [mark('300', '700')]),
    ]);
    const m = await foldReport(store, PORTFOLIO, STREAM, { asOf: { kind: 'end' }, verification: null });
    const turnover = (id: string): number | undefined => m.rows.find((r) => r.id === id)?.metrics.turnover;
    expect(turnover('a')).toBeCloseTo(200 / 500, 12);
    expect(turnover('b')).toBeCloseTo(200 / 500, 12);
    expect(turnover('portfolio')).toBe(0);
  });
});
