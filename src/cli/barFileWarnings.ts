// What a bar file's shape means for a run's end: positions left in symbols whose bars ended before the file did, and
// orders (next-open fills) still waiting when it ends.
import type { BarFileSummary } from '../market/barSource.js';

/**
 * One warning per symbol whose bars end before the file's last slice while a strategy still holds it at the end: the
 * engine values it at its last close from then on (a delisting looks like a flat price) and no order in it can fill.
 */
export function endedSymbolWarnings(
  file: string,
  summary: BarFileSummary,
  strategies: readonly { readonly id: string; readonly positions: Readonly<Record<string, string>> }[],
): string[] {
  const out: string[] = [];
  for (const { symbol, lastTime } of summary.ended) {
    const holders = strategies
      .filter((s) => Object.hasOwn(s.positions, symbol) && s.positions[symbol] !== '0')
      .map((s) => `${s.id} ${String(s.positions[symbol])}`);
    if (holders.length === 0) continue;
    out.push(
      `${file}: ${symbol} has no bar after ${lastTime} (the file ends at ${String(summary.lastTime)}), yet it is held at the end ` +
        `(${holders.join(', ')}): it has been valued at its last close since then, and no order in it can fill`,
    );
  }
  return out;
}

/**
 * With `fillAt: next-open`, the orders still waiting when the file ends: per symbol whose bars ended before the file's
 * last slice, those that can never fill; then, in one warning, those placed on the last slice, whose open comes after
 * the file's end (a run resumed with later bars fills them). Nothing of them is in the run's values.
 */
export function waitingOrderWarnings(
  file: string,
  summary: BarFileSummary,
  waiting: readonly { readonly strategyId: string; readonly symbol: string; readonly quantity: string }[],
): string[] {
  const out: string[] = [];
  const ended = new Map(summary.ended.map((e) => [e.symbol, e.lastTime]));
  for (const [symbol, lastTime] of ended) {
    const orders = waiting.filter((o) => o.symbol === symbol).map((o) => `${o.strategyId} ${o.quantity}`);
    if (orders.length === 0) continue;
    out.push(
      `${file}: orders in ${symbol} wait for its next open, but it has no bar after ${lastTime} (the file ends at ${String(summary.lastTime)}): ` +
        `they can never fill (${orders.join(', ')})`,
    );
  }
  const last = waiting.filter((o) => !ended.has(o.symbol)).map((o) => `${o.strategyId} ${o.symbol} ${o.quantity}`);
  if (last.length > 0) {
    out.push(
      `${file}: orders placed on the last bar wait for the next open, after the file's end: they have not filled, ` +
        `and fill only if the run is resumed with later bars (${last.join(', ')})`,
    );
  }
  return out;
}
