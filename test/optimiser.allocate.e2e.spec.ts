// `stratafolio allocate` end to end through main(): output, JSON shape, and one clear line with exit 2 for each bad input.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cliRun.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'optimiser');
const candidatesCsv = join(fixtures, 'candidates.csv');
const currentCsv = join(fixtures, 'current.csv');
const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-allocate-'));

function file(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

const allocate = (...args: string[]): ReturnType<typeof runCli> => runCli('allocate', ...args);

describe('stratafolio allocate', () => {
  it('prints the documented JSON with money as decimal strings (base model, fractional shares)', async () => {
    const { code, out, err } = await allocate('--candidates', candidatesCsv, '--capital', '10000', '--max-positions', '4', '--max-weight', '0.3', '--fractional', '--json');
    expect(err).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(out) as Record<string, unknown>;
    // Top four scores NVDA .15, AAPL .12, MSFT .10, JPM .07: three at 0.3, the last gets the remaining 0.1.
    expect(json).toEqual({
      model: 'base',
      shares: 'fractional',
      capital: '10000',
      solver: { name: 'javascript-lp-solver', status: 'optimal', objective: expect.closeTo(0.118, 12) as number, gap: 0 },
      fallbackReason: null,
      allocations: [
        { symbol: 'AAPL', weight: 0.3, dollars: '3000', shares: '15.83113456', cost: '2999.999999120' },
        { symbol: 'JPM', weight: expect.closeTo(0.1, 12) as number, dollars: '1000', shares: '5.12557662', cost: '999.999998562' },
        { symbol: 'MSFT', weight: 0.3, dollars: '3000', shares: '7.31261425', cost: '2999.9999960625' },
        { symbol: 'NVDA', weight: 0.3, dollars: '3000', shares: '3.40909090', cost: '2999.999992' },
      ].map((a) => ({ ...a, shares: a.shares.replace(/0+$/, ''), cost: a.cost.replace(/0+$/, '') })),
      invested: '9999.9999857445',
      cash: '0.0000142555',
      dropped: ['KO'],
    });
  });

  it('prints an aligned table and the status line, within 80 columns', async () => {
    const { code, out } = await allocate('--candidates', candidatesCsv, '--capital', '10000', '--max-positions', '4', '--max-weight', '0.3', '--floor');
    expect(code).toBe(0);
    const lines = out.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^symbol\s+weight\s+dollars\s+shares\s+cost$/);
    // NVDA: 3000 / 880 floors to 3 shares costing 2640.
    expect(lines).toContain('NVDA    30.00%  3000.00       3  2640.00');
    expect(lines).toContain('status optimal  objective 0.11800000  gap 0.00e+0');
    expect(lines).toContain('solver javascript-lp-solver, base model, floor shares');
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('uses HiGHS with whole-share lots by default and spends no more than the capital', async () => {
    const { code, out } = await allocate('--candidates', candidatesCsv, '--capital', '10000', '--max-positions', '4', '--max-weight', '0.3', '--sector-cap', '0.4', '--turnover', '0.8', '--current', currentCsv, '--json');
    expect(code).toBe(0);
    const json = JSON.parse(out) as { model: string; shares: string; solver: { name: string }; allocations: { symbol: string; cost: string; shares: string }[]; invested: string; cash: string };
    expect([json.model, json.shares, json.solver.name]).toEqual(['extended', 'lots', 'highs']);
    expect(Number(json.invested) + Number(json.cash)).toBe(10000);
    for (const a of json.allocations) expect(a.shares).toMatch(/^\d+$/);
  });

  const badCandidates: [string, string, RegExp][] = [
    ['missing column', 'symbol,score\nA,1\n', /line 1, column price: missing column "price"/],
    ['unparseable score', 'symbol,score,price\nA,1,10\nB,abc,10\n', /line 3, column score: "abc" is not a number/],
    ['unparseable price', 'symbol,score,price\nA,1,ten\n', /line 2, column price: "ten" is not a decimal price/],
    ['non-positive price', 'symbol,score,price\nA,1,0\n', /line 2, column price: price must be positive/],
    ['duplicate symbol', 'symbol,score,price\nA,1,10\n\nA,2,10\n', /line 4, column symbol: duplicate symbol A \(first on line 2\)/],
    ['wrong field count', 'symbol,score,price\nA,1,10,extra\n', /line 2: expected 3 fields, found 4/],
  ];
  it.each(badCandidates)('rejects a candidates file with a %s: exit 2, one line naming the place', async (name, text, message) => {
    const path = file(`${name.replace(/ /g, '-')}.csv`, text);
    const { code, out, err } = await allocate('--candidates', path, '--capital', '1000');
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(err).toContain(path);
    expect(err).toMatch(message);
  });

  const badFlags: [string, string[], RegExp][] = [
    ['capital not a number', ['--capital', 'lots'], /--capital must be a decimal amount/],
    ['capital not positive', ['--capital', '-5'], /--capital must be positive/],
    ['max-positions zero', ['--capital', '100', '--max-positions', '0'], /--max-positions must be a positive integer/],
    ['max-weight above 1', ['--capital', '100', '--max-weight', '1.5'], /--max-weight must be a number in \[0, 1\]/],
    ['min-weight above max-weight', ['--capital', '100', '--max-weight', '0.2', '--min-weight', '0.3'], /--min-weight 0.3 is above --max-weight 0.2/],
    ['sector-cap not a number', ['--capital', '100', '--sector-cap', 'x'], /--sector-cap must be a number/],
    ['turnover without current', ['--capital', '100', '--turnover', '0.3'], /--turnover needs --current/],
    ['current without turnover', ['--capital', '100', '--current', currentCsv], /--current is only used with --turnover/],
    ['fractional with floor', ['--capital', '100', '--fractional', '--floor'], /--fractional and --floor exclude each other/],
    ['time-limit not positive', ['--capital', '100', '--time-limit', '0'], /--time-limit must be a positive number/],
    ['missing current file', ['--capital', '100', '--turnover', '0.3', '--current', '/nonexistent/current.csv'], /--current: cannot read \/nonexistent\/current.csv \(ENOENT\): there is no such file$/m],
  ];
  it.each(badFlags)('rejects %s: exit 2, one line naming the flag', async (_, args, message) => {
    const { code, out, err } = await allocate('--candidates', candidatesCsv, ...args);
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n').filter((l) => l !== '')).toHaveLength(1);
    expect(err).toMatch(message);
  });

  it('rejects a current-weights file that sums above 1', async () => {
    const path = file('current-over.csv', 'symbol,weight\nA,0.7\nB,0.6\n');
    const { code, err } = await allocate('--candidates', candidatesCsv, '--capital', '100', '--turnover', '0.5', '--current', path);
    expect(code).toBe(2);
    expect(err).toMatch(/column weight: current weights sum to 1\.29\d*, more than 1/);
  });

  it('reports a missing required flag through commander with exit 2', async () => {
    const { code, err } = await allocate('--capital', '100');
    expect(code).toBe(2);
    expect(err).toContain("required option '--candidates <csv>' not specified");
  });
});
