// A strategy that loses more than its whole value in one bar: the backtest summary and replay state its compounded
// return the same way, as undefined with the reason, instead of two different numbers.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOSS_BEYOND_VALUE } from '../src/metrics/index.js';
import { runCli } from './fixtures/cliRun.js';

interface StrategyLine {
  readonly id?: string;
  readonly strategyId?: string;
  readonly timeWeightedReturn?: number | null;
  readonly timeWeightedReturnNote?: string | null;
  readonly totalReturn?: number | null;
  readonly compoundingNote?: string | null;
}

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stratafolio-beyond-'));
  // s shorts A for its whole value on the first bar; h buys 100 A and holds them.
  writeFileSync(join(dir, 'short.mjs'), `export default { name: 'short', onBar(ctx) { if (ctx.barIndex === 0) ctx.orderTargetPercent('A', '-1'); } };\n`);
  writeFileSync(join(dir, 'long.mjs'), `export default { name: 'long', onBar(ctx) { if (ctx.barIndex === 0) ctx.order('A', 100); } };\n`);
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({ id: 'beyond', name: 'beyond', capital: '100000', strategies: [{ id: 'h', module: './long.mjs', allocation: '0.5' }, { id: 's', module: './short.mjs', allocation: '0.5' }] }),
  );
  // s: 100,000 cash against 500 A. At 180 it is worth 10,000 (−80%); at 260, −30,000 (−400%: more than all of it);
  // at 100 it is worth 50,000 again (no return: the bar starts below zero); at 90, 55,000 (+10%).
  writeFileSync(join(dir, 'bars.csv'), ['date,A', '2024-01-01,100', '2024-01-02,180', '2024-01-03,260', '2024-01-04,100', '2024-01-05,90', ''].join('\n'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a strategy that lost more than its whole value', () => {
  it('has the same compounded return in the backtest summary and in replay: undefined, with the reason', async () => {
    const store = `sqlite:${join(dir, 'run.db')}`;
    const run = await runCli('backtest', '--config', join(dir, 'config.json'), '--bars', join(dir, 'bars.csv'), '--store', store, '--json');
    expect(run.code, run.err).toBe(0);
    const replay = await runCli('replay', '--store', store, '--json');
    expect(replay.code, replay.err).toBe(0);
    const summary = (JSON.parse(run.out) as { strategies: StrategyLine[] }).strategies;
    const replayed = (JSON.parse(replay.out) as { strategies: StrategyLine[] }).strategies;
    const bt = (id: string): StrategyLine | undefined => summary.find((x) => x.id === id);
    const rp = (id: string): StrategyLine | undefined => replayed.find((x) => x.strategyId === id);
    expect([bt('s')?.timeWeightedReturn, bt('s')?.timeWeightedReturnNote]).toEqual([null, LOSS_BEYOND_VALUE]);
    expect([rp('s')?.totalReturn, rp('s')?.compoundingNote]).toEqual([null, LOSS_BEYOND_VALUE]);
    // h held 100 A from 100 to 90 with 40,000 in cash: 49,000 of 50,000 (commission and slippage aside, the same in both).
    expect(bt('h')?.timeWeightedReturn).toBe(rp('h')?.totalReturn);
    expect(bt('h')?.timeWeightedReturnNote).toBeNull();
    expect(rp('h')?.compoundingNote).toBeNull();
    const text = await runCli('replay', '--store', store);
    expect(text.out).toMatch(/^s .*n\/a/m);
    // The report draws its curves up to that bar and shows n/a after it: no NaN or Infinity reaches the page.
    const out = join(dir, 'report.html');
    const report = await runCli('report', '--store', store, '--out', out);
    expect(report.code, report.err).toBe(0);
    expect(readFileSync(out, 'utf8')).not.toMatch(/NaN|Infinity/);
  });
});
