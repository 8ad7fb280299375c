// What a bar file's shape means for a run's figures: positions left in symbols whose bars ended before the file did.
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
