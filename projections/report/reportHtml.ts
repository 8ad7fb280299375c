// The tearsheet as one self-contained HTML page: inline CSS, server-rendered SVG charts, no script and no external file.
import { Dec } from '../../src/money/decimal.js';
import { fixed, money as cents, percent } from '../../src/display/figures.js';
import type { KeyMetrics, LiveRow, ReportModel } from './reportModel.js';
import { renderCharts } from './reportCharts.js';

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Escapes text placed between tags (never in an attribute): only `&`, `<` and `>` mean anything there. A recorded
 * decision is JSON, full of quotes, and the decisions are most of a long report's bytes: `&quot;` for each made them a
 * third larger.
 */
export function escapeText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const e = escapeHtml;
/** A number as JSON writes it (null when not finite): the exact figure behind a cell, for tools and tests. */
const raw = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');
const pct = (x: number, digits = 2): string => (Number.isFinite(x) ? percent(x, digits) : '–');
const num = (x: number, digits = 2): string => (Number.isFinite(x) ? fixed(x, digits) : x === Infinity ? '∞' : '–');
const money = (s: string | null): string => (s === null ? '–' : cents(s).replace(/\B(?=(\d{3})+(?!\d))/g, ','));
const signed = (x: number): string => (Number.isFinite(x) ? (x < 0 ? 'neg' : x > 0 ? 'pos' : '') : '');
/**
 * The colour of a figure as shown: none when it shows as zero. A strategy holding only cash gets returns of ±2e-16
 * from float rounding of its transfers; a green or red 0.00% beside it would say it gained or lost.
 */
const toneShown = (tone: string, shown: string): string => (/[1-9]/.test(shown) ? tone : '');
/** A year as 365.25 days, the mean calendar year: 10 284 days read 28 y 57 d, as from a date 28 years and 57 days before. */
const DURATION_UNITS: readonly (readonly [string, number])[] = [['y', 365.25 * 86_400], ['d', 86_400], ['h', 3_600], ['min', 60], ['s', 1]];
/**
 * A span given in days, in its two largest units (`28 y 57 d`, `45 d`, `2 d 3 h`, `10 h 34 min`): a drawdown of
 * intraday bars lasts hours or minutes, which whole days would show as 0, and one of decades is unreadable in days.
 */
export function durationText(days: number): string {
  if (!Number.isFinite(days)) return '–';
  let rest = Math.round(days * 86_400);
  const parts: string[] = [];
  for (const [unit, seconds] of DURATION_UNITS) {
    const n = Math.floor(rest / seconds);
    rest -= n * seconds;
    if (n > 0 || parts.length > 0) parts.push(`${n} ${unit}`);
  }
  const shown = parts.slice(0, 2).filter((p) => !p.startsWith('0 '));
  return shown.length === 0 ? '0' : shown.join(' ');
}
const day = (t: string | null): string => (t === null ? '–' : t.endsWith('T00:00:00.000Z') ? t.slice(0, 10) : `${t.slice(0, 10)} ${t.slice(11, 16)}`);

/** A cell holding a statistic: shown rounded, the exact value in `data-value`. */
function statCell(metric: string, x: number, shown: string, tone = true): string {
  return `<td class="${tone ? toneShown(signed(x), shown) : ''}" data-metric="${metric}" data-value="${raw(x)}">${shown}</td>`;
}

const METRIC_COLUMNS: readonly { key: keyof KeyMetrics; label: string; format: (x: number) => string; signed?: boolean }[] = [
  { signed: true, key: 'totalReturn', label: 'Total return', format: (x) => pct(x) },
  { signed: true, key: 'cagr', label: 'CAGR', format: (x) => pct(x) },
  { signed: true, key: 'annualReturn', label: 'Annual return', format: (x) => pct(x) },
  { key: 'annualVolatility', label: 'Volatility', format: (x) => pct(x) },
  { key: 'sharpeRatio', label: 'Sharpe', format: (x) => num(x) },
  { key: 'sortinoRatio', label: 'Sortino', format: (x) => num(x) },
  { key: 'calmarRatio', label: 'Calmar', format: (x) => num(x) },
  { key: 'omegaRatio', label: 'Omega', format: (x) => num(x) },
  { key: 'downsideRisk', label: 'Downside risk', format: (x) => pct(x) },
  { signed: true, key: 'maxDrawdown', label: 'Max drawdown', format: (x) => pct(x) },
  { signed: true, key: 'currentDrawdown', label: 'Current drawdown', format: (x) => pct(x) },
  { key: 'longestDrawdownDays', label: 'Longest DD', format: (x) => durationText(x) },
  { key: 'skew', label: 'Skew', format: (x) => num(x) },
  { key: 'kurtosis', label: 'Kurtosis (excess)', format: (x) => num(x) },
  { signed: true, key: 'valueAtRisk95', label: 'VaR 95% (per bar)', format: (x) => pct(x) },
  { signed: true, key: 'expectedShortfall95', label: 'ES 95% (per bar)', format: (x) => pct(x) },
  { signed: true, key: 'bestDay', label: 'Best day', format: (x) => pct(x) },
  { signed: true, key: 'worstDay', label: 'Worst day', format: (x) => pct(x) },
  { signed: true, key: 'bestMonth', label: 'Best month', format: (x) => pct(x) },
  { signed: true, key: 'worstMonth', label: 'Worst month', format: (x) => pct(x) },
  { signed: true, key: 'bestYear', label: 'Best year', format: (x) => pct(x) },
  { signed: true, key: 'worstYear', label: 'Worst year', format: (x) => pct(x) },
  { key: 'winRate', label: 'Positive bars', format: (x) => pct(x, 1) },
  { key: 'profitFactor', label: 'Profit factor (bar P&L)', format: (x) => num(x) },
  { key: 'averageCashFraction', label: 'Average cash', format: (x) => pct(x, 1) },
  { key: 'timeInMarket', label: 'Time in market', format: (x) => pct(x, 1) },
  { key: 'turnover', label: 'Turnover (×)', format: (x) => num(x, 1) },
];

function metricsTable(m: ReportModel): string {
  const head = `<tr><th>Metric</th>${m.rows.map((r) => `<th class="num">${e(r.id)}</th>`).join('')}</tr>`;
  const body = METRIC_COLUMNS.map(
    (c) => `<tr><th>${e(c.label)}</th>${m.rows.map((r) => statCell(`${r.id}:${c.key}`, r.metrics[c.key] as number, c.format(r.metrics[c.key] as number), c.signed === true)).join('')}</tr>`,
  );
  body.push(`<tr><th>Commissions paid</th>${m.rows.map((r) => `<td data-metric="${e(r.id)}:commissions" data-value="${e(r.metrics.commissions)}">${money(r.metrics.commissions)}</td>`).join('')}</tr>`);
  body.push(`<tr><th>Observations</th>${m.rows.map((r) => `<td>${r.metrics.observations}</td>`).join('')}</tr>`);
  return `<table class="metrics">${head}${body.join('')}</table>`;
}

/** Why some rows show – for their compounded figures, naming them: a – alone reads as a figure not computed yet. */
function compoundingNote(m: ReportModel): string {
  const rows = m.rows.filter((r) => r.metrics.compoundingNote !== null);
  if (rows.length === 0) return '';
  return `<p class="muted small" data-field="compounding-note">– for ${rows.map((r) => e(r.id)).join(', ')} (total and annual return, CAGR, Calmar, drawdowns, best and worst periods): ${e(rows[0]?.metrics.compoundingNote ?? '')}.</p>`;
}

/**
 * Which figures of the table the risk-free rate enters, when it is not 0: Sortino and downside risk stand beside Sharpe
 * but measure the returns below 0 (empyrical's required return), and read as a mild downside if taken for excess returns.
 */
function riskFreeScope(annualRiskFree: number): string {
  if (annualRiskFree === 0) return '';
  return ' in Sharpe, omega, alpha and the rolling Sharpe; Sortino and downside risk count the returns below 0, not below the risk-free rate';
}

function tile(label: string, field: string, shown: string, rawValue: string, tone = ''): string {
  return `<div class="tile"><div class="label">${e(label)}</div><div class="value ${toneShown(tone, shown)}" data-field="${field}" data-value="${e(rawValue)}">${shown}</div></div>`;
}

/**
 * What verification proved of a paper session's feed record; a broken one never reaches a report. It is verified once,
 * before the fold (`serve`: at its start); `atStart` says when, for a log that grew since: what the session recorded
 * since was not checked.
 */
function feedRecordVerdict(f: ReportModel['provenance']['feedRecord'], atStart: string | null): string {
  if (f === null) return '<span class="muted">none: no paper session recorded bars for this portfolio</span>';
  if (!f.ok) return `<span class="bad">BROKEN</span> at revision ${f.revision}: ${e(f.reason)}`;
  const link = f.link === null ? '' : `; ${f.link.slices} slices are the log's, their closes its marks`;
  return `<span class="ok">intact</span>${atStart === null ? '' : ` ${e(atStart)}`}: ${f.events} events chained (${f.slices} slices, ${f.gaps} gaps)${link}`;
}

function provenance(m: ReportModel): string {
  const p = m.provenance;
  const v = p.verification;
  let verdict = '<span class="muted">not verified (--no-verify)</span>';
  const checks = (x: { rebalances: number; transfers: number; marks: number }): string =>
    `${x.rebalances} rebalances moved exactly as planned; reserve ≥ 0 over ${x.transfers} transfers; ${x.marks} marks reproduced`;
  // Verified once, before the fold (`serve`: at its start): the events a writer appended since were only checked to
  // decode and link as they were folded.
  if (v !== null && v.ok && v.events < p.events) {
    verdict = `<span class="ok">intact</span> ${e(p.verifiedWhen)} (the first ${v.events} events): ${checks(v)}; the ${p.events - v.events} events since were checked only to decode and link to the one before (audit --verify checks them all)`;
  } else if (v !== null && v.ok) verdict = `<span class="ok">intact</span> (whole log): ${v.events} events chained; ${checks(v)}`;
  else if (v !== null && !v.ok) verdict = `<span class="bad">BROKEN</span> at revision ${v.revision}: ${e(v.reason)}`;
  const rows: [string, string][] = [
    ['Portfolio', `${e(p.portfolioId)} — ${e(p.name)} (${e(p.baseCurrency)})`],
    ['Period', `${e(day(p.firstBarTime))} → ${e(day(p.lastBarTime))}, ${p.bars} bars`],
    ['As of', `${e(p.asOf)}: ${p.events} events, global position ${p.position}`],
    ['Config hash', `<code>${e(p.configHash)}</code>`],
    ['Code version', `<code>${e(p.codeVersion)}</code>`],
    ['Head hash', `<code data-field="head-hash">${e(p.headHash ?? '–')}</code>`],
    ['Log verification', verdict],
    ...(v === null ? [] : [['Feed record', feedRecordVerdict(p.feedRecord, v.events < p.events ? p.verifiedWhen : null)] as [string, string]]),
  ];
  return `<dl class="provenance">${rows.map(([k, val]) => `<dt>${k}</dt><dd>${val}</dd>`).join('')}</dl>`;
}

function benchmarkBlock(m: ReportModel): string {
  const b = m.benchmark;
  if (b === null) return '';
  const cells: [string, string, number, string][] = [
    ['Benchmark return', 'benchmark-return', b.totalReturn, pct(b.totalReturn)],
    ['Portfolio, same bars', 'benchmark-portfolio-return', b.portfolioReturn, pct(b.portfolioReturn)],
    ['Beta', 'beta', b.beta, num(b.beta)],
    ['Alpha (annualised)', 'alpha', b.alpha, pct(b.alpha)],
    ['Correlation', 'correlation', b.correlation, num(b.correlation)],
    ['Tracking error', 'tracking-error', b.trackingError, pct(b.trackingError)],
    ['Information ratio', 'information-ratio', b.informationRatio, num(b.informationRatio)],
  ];
  // Every figure here runs from the benchmark's first mark: a symbol listed after the portfolio started covers fewer bars.
  return `<section><h2>Against ${e(b.symbol)} (buy and hold${b.since === m.provenance.firstBarTime ? '' : ` from ${e(day(b.since))}`})</h2><div class="tiles small">${cells.map(([l, f, x, s]) => tile(l, f, s, raw(x), signed(x))).join('')}</div><p class="muted small" data-field="benchmark-since" data-value="${e(b.since)}">Bought at the close of ${e(day(b.since))}, its first recorded mark; every figure here covers the bars from then on.</p></section>`;
}

function drawdownTable(m: ReportModel): string {
  if (m.drawdowns.length === 0) return '<p class="muted">No drawdown.</p>';
  return `<table><tr><th>#</th><th>Start</th><th>Trough</th><th>Recovery</th><th class="num">Depth</th><th class="num">Duration</th></tr>${m.drawdowns
    .map((d, i) => `<tr><td>${i + 1}</td><td>${day(d.start)}</td><td>${day(d.trough)}</td><td>${d.recovery === null ? '<span class="muted">not yet</span>' : day(d.recovery)}</td>${statCell('drawdown-depth', d.depth, pct(d.depth))}<td>${durationText(d.days)}</td></tr>`)
    .join('')}</table>`;
}

function yearlyTable(m: ReportModel): string {
  const ids = [...m.yearly.keys()];
  const years = [...new Set([...m.yearly.values()].flatMap((ps) => ps.map((p) => p.period)))].sort();
  const lookup = new Map(ids.map((id) => [id, new Map((m.yearly.get(id) ?? []).map((p) => [p.period, p.return]))]));
  return `<table><tr><th>Year</th>${ids.map((id) => `<th class="num">${e(id)}</th>`).join('')}</tr>${years
    .map((y) => `<tr><td>${y}</td>${ids.map((id) => {
      const r = lookup.get(id)?.get(y) ?? Number.NaN;
      return statCell(`${id}:${y}`, r, pct(r));
    }).join('')}</tr>`)
    .join('')}</table>`;
}

/**
 * Each strategy's weight before → raw → final; a strategy the rebalance left out (warm-up, paused, liquidating) has no
 * raw or final weight, so its recorded reason stands in their place: "10% → – → –" read as a weight lost.
 */
function weightsList(
  before: Readonly<Record<string, number>>,
  rawW: Readonly<Record<string, number>>,
  final: Readonly<Record<string, number>>,
  leftOut: Readonly<Record<string, string>>,
): string {
  const ids = [...new Set([...Object.keys(before), ...Object.keys(rawW), ...Object.keys(final), ...Object.keys(leftOut)])].sort();
  return ids
    .map((id) => {
      const reason = Object.hasOwn(leftOut, id) && !Object.hasOwn(final, id) ? leftOut[id] : undefined;
      const after = reason === undefined ? `${pct(rawW[id] ?? Number.NaN, 1)} → <b>${pct(final[id] ?? Number.NaN, 1)}</b>` : `<span class="muted">left out: ${e(reason)}</span>`;
      return `<div class="w"><span>${e(id)}</span> ${pct(before[id] ?? Number.NaN, 1)} → ${after}</div>`;
    })
    .join('');
}

function rebalanceTable(m: ReportModel): string {
  if (m.rebalances.length === 0) return '<p class="muted">No rebalance.</p>';
  const note = m.rebalanceTotal > m.rebalances.length ? `<p class="muted">The last ${m.rebalances.length} of ${m.rebalanceTotal} rebalances.</p>` : '';
  const rows = m.rebalances.map((r) => {
    const d = r.decision;
    const bound = d.bindingConstraints.length === 0 ? '<span class="muted">none</span>' : d.bindingConstraints.map(e).join('<br>');
    return `<tr data-rebalance="${e(r.rebalanceId)}"><td>${e(r.rebalanceId)}</td><td>${day(r.barTime)}</td><td>${e(d.trigger)}</td><td>${e(d.algorithm)}</td><td class="weights">${weightsList(d.weightsBefore, d.rawWeights, d.finalWeights, d.leftOut ?? {})}</td><td class="small">${bound}</td><td class="num">${money(r.capitalMoved)}</td></tr>
<tr class="detail"><td colspan="7"><details><summary>Full decision of ${e(r.rebalanceId)} (revision ${r.revision}, position ${r.position}): ${e(d.reason)}</summary><pre>${escapeText(JSON.stringify({ decision: d, transfers: r.transfers, netByAccount: r.netByAccount }, null, 2))}</pre></details></td></tr>`;
  });
  return `${note}<table class="rebalances"><tr><th>Id</th><th>Bar</th><th>Trigger</th><th>Algorithm</th><th>Weights before → raw → final</th><th>Binding constraints</th><th class="num">Capital moved</th></tr>${rows.join('')}</table>`;
}

function tradesTable(m: ReportModel): string {
  if (m.trades.length === 0) return '<p class="muted">No closed round trip.</p>';
  return `<table><tr><th>Strategy</th><th class="num">Round trips</th><th class="num">Win rate</th><th class="num">Profit factor</th><th class="num">Average win</th><th class="num">Average loss</th><th class="num">Open</th></tr>${m.trades
    .map((t) => {
      const avgWin = t.wins > 0 ? new Dec(t.grossProfit).div(t.wins).toFixed(2) : null;
      const avgLoss = t.losses > 0 ? new Dec(t.grossLoss).div(t.losses).negated().toFixed(2) : null;
      return `<tr><td>${e(t.strategyId)}</td><td>${t.roundTrips}</td>${statCell(`${t.strategyId}:tradeWinRate`, t.winRate, pct(t.winRate, 1))}${statCell(`${t.strategyId}:tradeProfitFactor`, t.profitFactor, num(t.profitFactor))}<td class="pos">${money(avgWin)}</td><td class="neg">${money(avgLoss)}</td><td>${t.openTrips}</td></tr>`;
    })
    .join('')}</table>`;
}

function parametersTable(m: ReportModel): string {
  return `<table class="params"><tr><th>Scope</th><th>Parameter</th><th>Value</th></tr>${m.parameters
    .map((p) => `<tr><td>${e(p.scope)}</td><td><code>${e(p.key)}</code></td><td><code>${e(p.value)}</code></td></tr>`)
    .join('')}</table>`;
}

/** The live table: each strategy's state, value, P&L of the last slice and last fault (also what `serve` refreshes). */
export function liveTable(rows: readonly LiveRow[]): string {
  return `<table id="live"><tr><th>Strategy</th><th>State</th><th class="num">Value</th><th class="num">P&amp;L last slice</th><th>Last fault</th></tr>${rows
    .map((r) => {
      const pnl = r.lastSlicePnl === null ? Number.NaN : Number(r.lastSlicePnl);
      return `<tr data-strategy="${e(r.strategyId)}"><td>${e(r.strategyId)}</td><td><span class="state ${e(r.state)}">${e(r.state)}</span></td><td data-field="value" data-value="${e(r.value ?? 'null')}">${money(r.value)}</td><td class="${toneShown(signed(pnl), money(r.lastSlicePnl))}" data-field="pnl" data-value="${e(r.lastSlicePnl ?? 'null')}">${money(r.lastSlicePnl)}</td><td class="small">${r.lastFault === null ? '<span class="muted">none</span>' : `${e(day(r.lastFault.barTime))} ${e(r.lastFault.text)}`}</td></tr>`;
    })
    .join('')}</table>`;
}

/**
 * Why strategies stopped trading: every fault and liquidation (a drawdown limit, a fault policy, a removal), oldest
 * first, and each strategy paused now with since when — the lists `replay --json` gives. A state of `stopped` alone
 * does not say whether the strategy was sold out for its drawdown or for a fault.
 */
function incidentsTable(m: ReportModel): string {
  const { faults, liquidations, paused } = m.incidents;
  if (faults.length + liquidations.length + paused.length === 0) return '<p class="muted">No fault, liquidation or pause.</p>';
  const row = (kind: string, strategyId: string, barTime: string | null, message: string): string =>
    `<tr data-incident="${kind}" data-strategy="${e(strategyId)}" data-bar="${e(barTime ?? '')}"><td>${kind}</td><td>${e(strategyId)}</td><td>${e(day(barTime))}</td><td class="message">${e(message)}</td></tr>`;
  const listed = [...faults.map((f) => ({ ...f, kind: 'fault' })), ...liquidations.map((l) => ({ ...l, kind: 'liquidation' }))].sort((a, b) => a.position - b.position);
  return `<table class="incidents"><tr><th>Kind</th><th>Strategy</th><th>Bar</th><th>What happened</th></tr>${listed
    .map((i) => row(i.kind, i.strategyId, i.barTime, i.message))
    .join('')}${paused.map((p) => row('paused', p.strategyId, p.since, p.reason)).join('')}</table>`;
}

const CSS = `
:root{--ink:#1d2330;--muted:#6b7280;--line:#e3e6ec;--navy:#1f3b73;--pos:#15803d;--neg:#b91c1c;--bg:#f5f6f8}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:13px/1.45 -apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif}
header{background:var(--navy);color:#fff;padding:18px 28px 14px}
header h1{margin:0;font-size:20px;font-weight:600;letter-spacing:.2px}
header .sub{opacity:.8;font-size:12px;margin-top:2px}
main{max-width:1180px;margin:0 auto;padding:18px 28px 40px}
section{background:#fff;border:1px solid var(--line);border-radius:6px;padding:14px 16px;margin:0 0 16px}
h2{font-size:14px;margin:0 0 10px;font-weight:600;color:var(--navy);text-transform:uppercase;letter-spacing:.6px}
.tiles{display:grid;grid-template-columns:repeat(6,1fr);gap:10px;margin-bottom:16px}
.tiles.small{margin:0}
.tile{background:#fff;border:1px solid var(--line);border-radius:6px;padding:10px 12px}
.tile .label{font-size:11px;color:var(--muted);text-transform:uppercase;letter-spacing:.5px}
.tile .value{font-size:20px;font-weight:600;margin-top:2px;font-variant-numeric:tabular-nums}
.grid2{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:16px}
.scroll{overflow-x:auto;max-width:100%}
figure{margin:0}
figure figcaption{font-weight:600;font-size:12px;color:var(--ink);margin:0 0 4px}
figure svg{display:block;max-width:100%;height:auto}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:11.5px;background:#fafbfc}
table.metrics td,td.num,th.num,table td[data-value]{text-align:right}
table.metrics th:first-child{width:170px}
.pos{color:var(--pos)}.neg{color:var(--neg)}.muted{color:var(--muted)}.ok{color:var(--pos);font-weight:600}.bad{color:var(--neg);font-weight:700}
.small{font-size:11.5px}
dl.provenance{display:grid;grid-template-columns:150px 1fr;gap:3px 12px;margin:0}
dl.provenance dt{color:var(--muted)}dl.provenance dd{margin:0;word-break:break-all}
code{font:11.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
td.weights .w span{display:inline-block;min-width:80px;color:var(--muted)}
tr.detail td{border-bottom:1px solid var(--line);padding-top:0}
details summary{cursor:pointer;color:var(--navy);font-size:11.5px}
pre{max-height:360px;overflow:auto;background:#f8f9fb;border:1px solid var(--line);padding:8px;font-size:11px}
.state{padding:1px 6px;border-radius:8px;font-size:11px;background:#eef0f4}.state.running{background:#dcfce7;color:#166534}.state.paused{background:#fef3c7;color:#92400e}.state.stopped,.state.liquidating{background:#fee2e2;color:#991b1b}
footer{color:var(--muted);font-size:11px;text-align:center;margin-top:8px}
table.params td code{word-break:break-all}
@media (max-width:760px){header{padding:14px 12px 10px}main{padding:12px 10px 30px}section{padding:12px 10px}.tiles{grid-template-columns:repeat(2,minmax(0,1fr))}.grid2{grid-template-columns:minmax(0,1fr)}dl.provenance{grid-template-columns:110px minmax(0,1fr)}}
@media print{body{background:#fff}section{break-inside:avoid}}
`;

/** Options of {@link renderReportHtml}. */
export interface RenderOptions {
  /** Markup placed at the end of the body (the dashboard's live-update script); the file report has none. */
  readonly tail?: string;
  /** Title suffix (e.g. "live"). */
  readonly mode?: string;
  /**
   * The body {@link renderReportBody} gave for this model, when the caller keeps it (serve, once per slice): drawing
   * the charts again for every page served cost about a second on 28 years of daily bars.
   */
  readonly body?: string;
}

/**
 * A table in a box of its own that scrolls sideways when the table is wider than the page: with one column per
 * strategy, ten strategies would otherwise push a phone's page sideways or squeeze the chart beside it.
 */
const scroll = (table: string): string => `<div class="scroll">${table}</div>`;

/** The body of the report (header and content), also what the live dashboard swaps in on an update. */
export function renderReportBody(m: ReportModel): string {
  const s = m.summary;
  const p = m.rows[0]?.metrics;
  const charts = renderCharts(m);
  const chart = (name: string): string => {
    const c = charts.find((x) => x.name === name);
    return c === undefined ? '' : `<figure data-chart="${c.name}"><figcaption>${e(c.title)}</figcaption>${c.svg}</figure>`;
  };
  const tiles = [
    tile('Portfolio value', 'portfolio-value', money(s.portfolioValue), s.portfolioValue),
    tile('Return on capital', 'return-on-capital', pct(s.returnOnCapital), raw(s.returnOnCapital), signed(s.returnOnCapital)),
    tile('CAGR', 'cagr', pct(p?.cagr ?? Number.NaN), raw(p?.cagr ?? Number.NaN), signed(p?.cagr ?? Number.NaN)),
    tile('Sharpe (portfolio)', 'portfolio-sharpe', num(s.metrics.sharpeRatio), raw(s.metrics.sharpeRatio)),
    tile('Max drawdown', 'max-drawdown', pct(s.metrics.maxDrawdown), raw(s.metrics.maxDrawdown), 'neg'),
    tile('Volatility', 'volatility', pct(s.metrics.annualVolatility), raw(s.metrics.annualVolatility)),
    tile('Capital-weighted Sharpe', 'capital-weighted-sharpe', num(s.capitalWeightedSharpe), raw(s.capitalWeightedSharpe)),
    tile('Reserve', 'reserve', money(s.reserve), s.reserve),
    tile('Commissions paid', 'commissions', money(p?.commissions ?? null), p?.commissions ?? 'null'),
    tile('Netting savings', 'netting-saved', money(m.nettingSaved), m.nettingSaved, 'pos'),
    tile('Rebalances', 'rebalances', String(m.rebalanceTotal), String(m.rebalanceTotal)),
    tile('Active strategies', 'active', `${s.activeStrategies.length}/${Object.keys(s.strategies).length}`, String(s.activeStrategies.length)),
  ];
  return `<header><h1>${e(m.provenance.name || m.provenance.portfolioId)}</h1><div class="sub">${e(m.provenance.portfolioId)} · ${e(day(m.provenance.firstBarTime))} → ${e(day(m.provenance.lastBarTime))} · ${m.provenance.bars} bars · as of ${e(m.provenance.asOf)}</div></header>
<main>
<div class="tiles">${tiles.join('')}</div>
<section><h2>Provenance</h2>${provenance(m)}</section>
<section><h2>Performance</h2>${chart('cumulative')}${chart('underwater')}</section>
${benchmarkBlock(m)}
<section><h2>Key metrics</h2>${scroll(metricsTable(m))}${compoundingNote(m)}<p class="muted small">Returns are simple, one per bar, net of capital transfers; annualised ×${m.annualization} (bars a year), risk-free ${pct(m.annualRiskFree)} a year (compounded per bar)${riskFreeScope(m.annualRiskFree)}, sample standard deviation. VaR and ES are historical, per bar. Positive bars: the share of the bars that gained among those that gained or lost (a flat bar is neither). CAGR is shown for a year or more of returns (a shorter span is not annualised); Annual return is annualised by the bars a year at any length (empyrical’s): under a year of bars it extrapolates. Turnover is traded value over mean value (the portfolio's: traded with the market, after netting), over the whole period (a strategy added or stopped on the way: over its own bars, as every figure of it). Netting savings: commission the portfolio did not pay because opposite orders were crossed.</p></section>
<section><h2>Strategies now</h2>${scroll(liveTable(m.live))}</section>
<section><h2>Faults, liquidations and pauses</h2>${scroll(incidentsTable(m))}</section>
<section><h2>Strategies and capital</h2>${chart('equity')}${chart('allocation')}</section>
<section><h2>Risk over time</h2>${chart('rolling')}</section>
<section class="grid2"><div>${chart('monthly')}</div><div>${chart('distribution')}</div></section>
<section class="grid2"><div>${chart('correlation')}</div><div><h2>Worst drawdowns</h2>${scroll(drawdownTable(m))}</div></section>
<section><h2>Returns by year</h2>${scroll(yearlyTable(m))}</section>
<section><h2>Rebalance timeline</h2>${scroll(rebalanceTable(m))}</section>
<section><h2>Trades by strategy</h2>${scroll(tradesTable(m))}</section>
<section><h2>Configuration</h2>${scroll(parametersTable(m))}</section>
<footer>Rebuilt from the event log by stratafolio ${e(m.provenance.codeVersion)}; every figure is a fold of the log up to ${e(m.provenance.asOf)} (head ${e((m.provenance.headHash ?? '').slice(0, 16))}…).</footer>
</main>`;
}

/** The whole page. Nothing in it comes from the clock: the same model gives the same bytes. */
export function renderReportHtml(m: ReportModel, options: RenderOptions = {}): string {
  const title = `${m.provenance.name || m.provenance.portfolioId} — stratafolio report${options.mode ? ` (${options.mode})` : ''}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="stratafolio ${e(m.provenance.codeVersion)}">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
<div id="report">
${options.body ?? renderReportBody(m)}
</div>
${options.tail ?? ''}
</body>
</html>
`;
}
