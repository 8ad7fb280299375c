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
 * With `fillAt: next-open`, the orders still waiting when the file ends, in one warning: an order waits for the next
 * slice's open only (it expires there if its symbol has no bar), so these are the orders placed on the last slice, whose
 * open comes after the file's end. A run resumed with later bars fills them at its first slice, where their symbol
 * trades in it. Nothing of them is in the run's values.
 */
export function waitingOrderWarnings(file: string, waiting: readonly { readonly strategyId: string; readonly symbol: string; readonly quantity: string }[]): string[] {
  if (waiting.length === 0) return [];
  return [
    `${file}: orders placed on the last bar wait for the next open, after the file's end: they have not filled, and fill only if the run ` +
      `is resumed with later bars whose first slice has their symbol (${waiting.map((o) => `${o.strategyId} ${o.symbol} ${o.quantity}`).join(', ')})`,
  ];
}
