// A quant's own bar files through the shipped binary: what is refused before anything is written, and what is said.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBin } from './fixtures/cliRun.js';

const dir = mkdtempSync(join(tmpdir(), 'stratafolio-bardata-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const config = join(dir, 'portfolio.json');
writeFileSync(
  config,
  JSON.stringify({
    id: 'own',
    name: 'own data',
    capital: '100000',
    strategies: [
      { id: 'bh', kind: 'buy-and-hold', allocation: '0.5' },
      { id: 'tf', kind: 'trend-following', allocation: '0.4', params: { fast: 2, slow: 3 } },
    ],
  }),
);

let files = 0;
function barFile(name: string, lines: readonly string[]): string {
  files += 1;
  const path = join(dir, `${files}-${name}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

function backtest(bars: string, store: string, ...extra: string[]): Promise<{ code: number; out: string; err: string }> {
  return runBin(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${store}`, ...extra]);
}

describe('numbers the engine cannot compute with are refused by the pre-flight', () => {
  const cases = [
    { name: 'a price past the range of a double', cell: '1e400', says: 'close 1e400 is too large' },
    { name: 'a price so small it is zero as a double', cell: '1e-400', says: 'close 1e-400 is too small' },
    { name: 'a price with more significant digits than amounts carry', cell: '1.000000000000000000000000000000000000001', says: 'close 1.000000000000000000000000000000000000001 has 40 significant digits; amounts carry at most 34' },
  ];
  for (const c of cases) {
    it(`${c.name}: exit 2 naming file, line and column, and no store`, async () => {
      const bars = barFile('wide.csv', ['date,AAA,BBB', '2020-01-02,10,20', `2020-01-03,${c.cell},21`, '2020-01-06,11,22']);
      const store = join(dir, `${files}.db`);
      const { code, err } = await backtest(bars, store);
      expect(err).toContain(`${bars}, line 3, column AAA: ${c.says}`);
      expect(err.trim().split('\n')).toHaveLength(1);
      expect(code).toBe(2);
      expect(existsSync(store)).toBe(false);
    });
  }

  it('a volume past the range of a double, in a long CSV', async () => {
    const bars = barFile('long.csv', ['timestamp,symbol,open,high,low,close,volume', '2020-01-02,AAA,10,11,9,10,1e999']);
    const store = join(dir, `${files}.db`);
    const { code, err } = await backtest(bars, store);
    expect(err).toContain(`${bars}, line 2, column volume: volume 1e999 is too large`);
    expect(code).toBe(2);
    expect(existsSync(store)).toBe(false);
  });
});
