// A portfolio config file a user wrote wrong, through the binary: one line naming the file, the line (and column, for
// JSON syntax) and the field, saying what is wrong and what to do; exit 2, and no store file made.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLongCsv } from '../src/market/barFileWriter.js';
import { syntheticSlices } from '../src/market/syntheticMarket.js';
import { runBin } from './fixtures/cliRun.js';

const scratch = mkdtempSync(join(tmpdir(), 'stratafolio-configfile-'));
const bars = join(scratch, 'bars.csv');
beforeAll(async () => {
  await writeLongCsv(bars, syntheticSlices({ seed: 7, symbols: 3, bars: 30, start: '2023-01-02' }));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A valid config, written with two-space indentation so that each field has a line of its own. */
const GOOD = `{
  "id": "cf",
  "name": "config file",
  "capital": "100000",
  "strategies": [
    { "id": "bh", "kind": "buy-and-hold", "allocation": "0.4" },
    {
      "id": "tf",
      "kind": "trend-following",
      "allocation": "0.4",
      "params": { "fast": 5, "slow": 15 }
    }
  ],
  "rebalancing": { "algorithm": "fixed", "params": { "allocations": { "bh": 0.4, "tf": 0.4 } }, "frequency": "monthly" }
}
`;

let n = 0;
/** Runs backtest on a config of this text (or bytes), into a store path that must not exist afterwards. */
async function backtest(text: string | Buffer, configName = `c${++n}.json`): Promise<{ code: number; err: string; config: string }> {
  const config = join(scratch, configName);
  writeFileSync(config, text);
  const db = join(scratch, `${configName}.db`);
  const { code, err } = await runBin(['backtest', '--config', config, '--bars', bars, '--store', `sqlite:${db}`]);
  if (code !== 0) {
    expect(existsSync(db)).toBe(false);
    expect(err.trim().split('\n')).toHaveLength(1);
  }
  return { code, err, config };
}

describe('the JSON text', () => {
  it('a syntax error names the line and column, and what was expected there', async () => {
    const { code, err, config } = await backtest(GOOD.replace('"capital": "100000",', '"capital": "100000"'));
    expect(code).toBe(2);
    expect(err).toContain(`${config}, line 5, column 3: not valid JSON: expected "," or "}" after a member of an object`);
  });

  it('a trailing comma, a comment and single quotes are each named for what they are', async () => {
    const trailing = await backtest(GOOD.replace('"frequency": "monthly" }', '"frequency": "monthly", }'));
    expect(trailing.code).toBe(2);
    expect(trailing.err).toContain(`${trailing.config}, line 14, column`);
    expect(trailing.err).toContain('a comma before "}": JSON allows none after the last member');
    const comment = await backtest(GOOD.replace('"capital"', '// the money\n  "capital"'));
    expect(comment.err).toContain(`${comment.config}, line 4, column 3: not valid JSON: JSON has no comments`);
    const quotes = await backtest(GOOD.replace('"name": "config file"', "'name': 'config file'"));
    expect(quotes.err).toContain(`${quotes.config}, line 3, column 3: not valid JSON: names and strings take double quotes`);
  });

  it('a file cut short says where it ends and what is left open', async () => {
    const { code, err, config } = await backtest(GOOD.slice(0, GOOD.indexOf('"rebalancing"')));
    expect(code).toBe(2);
    expect(err).toMatch(new RegExp(`${escape(config)}, line 14, column 3: not valid JSON: the text ends inside the object opened at line 1`));
  });

  it('an empty file, or one of whitespace, says it is empty', async () => {
    for (const text of ['', '  \n\n']) {
      const { code, err, config } = await backtest(text);
      expect(code).toBe(2);
      expect(err).toContain(`${config}: the file is empty: a portfolio config is one JSON object (examples/demo-portfolio.json is one)`);
    }
  });

  it('a key given twice is refused naming both lines: JSON would keep only the last', async () => {
    const { code, err, config } = await backtest(GOOD.replace('"capital": "100000",', '"capital": "100000",\n  "capital": "5000",'));
    expect(code).toBe(2);
    expect(err).toContain(`${config}, line 5, column 3: "capital" is given twice in (root) (first at line 4): JSON would keep only the last; remove one`);
  });

  it('a UTF-8 byte order mark is accepted, as in bar files', async () => {
    const { code } = await backtest(`\uFEFF${GOOD}`);
    expect(code).toBe(0);
  });

  it('a gzip file, UTF-16 text and a binary file are refused saying what they are, with nothing of them echoed', async () => {
    const gz = await backtest(gzipSync(GOOD));
    expect(gz.code).toBe(2);
    expect(gz.err).toBe(`stratafolio: ${gz.config}: the file is gzip-compressed: decompress it first (gunzip); a portfolio config is JSON text\n`);
    const utf16 = await backtest(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD, 'utf16le')]));
    expect(utf16.err).toBe(`stratafolio: ${utf16.config}: the file is UTF-16 text: save it as UTF-8\n`);
    const binary = await backtest(Buffer.from([0x7b, 0x0a, 0x00, 0x01, 0x02]));
    expect(binary.err).toBe(`stratafolio: ${binary.config}, line 2: the file holds a NUL byte: it is binary, not a JSON config\n`);
  });

  it('a folder, a missing file and a file beyond the size limit are named in words', async () => {
    const folder = join(scratch, 'folder.json');
    mkdirSync(folder);
    const asFolder = await runBin(['backtest', '--config', folder, '--bars', bars, '--store', 'memory:']);
    expect(asFolder.code).toBe(2);
    expect(asFolder.err).toBe(`stratafolio: ${folder}: cannot read the config file: it is a folder; give the path of the .json file\n`);
    const missing = join(scratch, 'nope.json');
    const absent = await runBin(['backtest', '--config', missing, '--bars', bars, '--store', 'memory:']);
    expect(absent.err).toBe(`stratafolio: ${missing}: cannot read the config file: there is no such file\n`);
    const huge = await backtest(`{"id":"x","name":"${'x'.repeat(17 * 1024 * 1024)}"}`);
    expect(huge.code).toBe(2);
    expect(huge.err).toContain(`${huge.config}: the file is larger than 16 MiB, the most a portfolio config may be (it is recorded whole in the log's first event)`);
  });
});

describe('the fields', () => {
  it('a wrong value names the line of its field', async () => {
    const { code, err, config } = await backtest(GOOD.replace('"allocation": "0.4",\n', '"allocation": "1.4",\n'));
    expect(code).toBe(2);
    expect(err).toContain(`${config}, line 10: strategies[1].allocation: must be in (0, 1]`);
  });

  it('a misspelt key is named with the key it is close to, not as a missing field', async () => {
    const top = await backtest(GOOD.replace('"capital"', '"capitl"'));
    expect(top.code).toBe(2);
    expect(top.err).toContain(`${top.config}, line 4: capitl: not a field of the portfolio config: did you mean "capital"?`);
    const inner = await backtest(GOOD.replace('"allocation": "0.4",\n', '"allocaton": "0.4",\n'));
    expect(inner.err).toContain(`${inner.config}, line 10: strategies[1].allocaton: not a field of strategies[1]: did you mean "allocation"?`);
  });

  it('a missing field says it is required', async () => {
    const { code, err, config } = await backtest(GOOD.replace('  "capital": "100000",\n', ''));
    expect(code).toBe(2);
    expect(err).toContain(`${config}: capital: required, and missing`);
  });

  it('a value of the wrong type says what it is and what is expected', async () => {
    const capital = await backtest(GOOD.replace('"capital": "100000"', '"capital": true'));
    expect(capital.err).toContain(`${capital.config}, line 4: capital: must be a decimal number, as a string (e.g. "1000000") or a number; got true`);
    const lookback = await backtest(GOOD.replace('"capital": "100000",', '"capital": "100000",\n  "lookback": "60",'));
    expect(lookback.err).toContain(`${lookback.config}, line 5: lookback: must be a number, got the string "60"`);
  });

  it('an option out of a list suggests the closest: frequency, a strategy kind, an algorithm', async () => {
    const frequency = await backtest(GOOD.replace('"frequency": "monthly"', '"frequency": "montly"'));
    expect(frequency.err).toContain(`${frequency.config}, line 14: rebalancing.frequency: must be one of "never", "daily", "weekly", "monthly", "quarterly"; got "montly": did you mean "monthly"?`);
    const kind = await backtest(GOOD.replace('"kind": "trend-following"', '"kind": "trend-folowing"'));
    expect(kind.err).toContain(`${kind.config}, line 9: strategies[1].kind: unknown strategy kind "trend-folowing": did you mean "trend-following"? (known: buy-and-hold, mean-reversion, momentum, scored-universe, trend-following)`);
    const algorithm = await backtest(GOOD.replace('"algorithm": "fixed"', '"algorithm": "mipp"'));
    expect(algorithm.err).toContain(`${algorithm.config}, line 14: rebalancing.algorithm: must be one of fixed, dynamic, risk-parity, kelly, drawdown, sharpe, mip; got "mipp": did you mean "mip"?`);
  });

  it('a misspelt parameter of a strategy or of the algorithm suggests the one meant', async () => {
    const param = await backtest(GOOD.replace('"fast": 5', '"fats": 5'));
    expect(param.err).toContain(`${param.config}, line 11: strategies[1].params.fats: trend-following: unknown parameter "fats": did you mean "fast"?`);
    const id = await backtest(GOOD.replace('"allocations": { "bh": 0.4', '"allocations": { "bhh": 0.4'));
    expect(id.err).toContain(`${id.config}, line 14: rebalancing.params.allocations.bhh: no strategy has the id "bhh": did you mean "bh"?`);
  });

  it('a strategy module that cannot be found names the config file and line too', async () => {
    const { code, err, config } = await backtest(GOOD.replace('"kind": "buy-and-hold"', '"module": "./strategies/mine.js"'));
    expect(code).toBe(2);
    expect(err).toContain(`${config}, line 6: strategies[0] (bh): strategy module ./strategies/mine.js: there is no file`);
  });
});

describe('settings the rest of the config leaves without effect', () => {
  // Warnings, not refusals: the config is recorded whole in the log, so a portfolio created with one of them must still
  // resume with the same config (any change would be another config).
  async function warned(text: string, expected: string): Promise<void> {
    const configName = `w${++n}.json`;
    const first = await backtest(text, configName);
    expect(first.code, first.err).toBe(0);
    expect(first.err).toContain(`stratafolio: warning: ${first.config}, ${expected}`);
    const again = await backtest(text, configName);
    expect(again.code, again.err).toBe(0);
    expect(again.err).toContain(`stratafolio: warning: ${again.config}, ${expected}`);
  }

  it('"export" beside a built-in "kind": it names an export of a module, and a kind has none', () =>
    warned(
      GOOD.replace('"kind": "buy-and-hold",', '"kind": "buy-and-hold", "export": "dipBuyer",'),
      'line 6: strategies[0].export: has no effect: only a "module" strategy has an export, and this one is the built-in kind "buy-and-hold"; remove it, or give "module" instead of "kind"',
    ));

  it('a strategy min or max without a rebalancing section, which alone applies them', () =>
    warned(
      GOOD.replace('"allocation": "0.4" },', '"allocation": "0.4", "max": 0.5 },').replace(/,\n  "rebalancing": .*\n/, '\n'),
      'line 6: strategies[0].max: has no effect: it bounds the strategy\'s weight when capital is rebalanced, and the config has no rebalancing section; add one (e.g. { "algorithm": "fixed", … }) or remove it',
    ));

  it('an algorithm lookback longer than the portfolio keeps returns', () =>
    warned(
      GOOD.replace('"capital": "100000",', '"capital": "100000",\n  "lookback": 40,').replace('"algorithm": "fixed", "params": { "allocations": { "bh": 0.4, "tf": 0.4 } }', '"algorithm": "sharpe", "params": { "lookback": 60 }'),
      'line 15: rebalancing.params.lookback: 60 returns, but the portfolio keeps the last 40 of each strategy (lookback), so no more are used: raise lookback to 60 or more, or lower this',
    ));

  it('a minHistory longer than the portfolio keeps returns', () =>
    warned(
      GOOD.replace('"capital": "100000",', '"capital": "100000",\n  "lookback": 40,').replace('"frequency": "monthly"', '"frequency": "monthly", "minHistory": 50'),
      'line 15: rebalancing.minHistory: 50 returns, but the portfolio keeps the last 40 of each strategy (lookback), so no more are used: raise lookback to 50 or more, or lower this',
    ));

  it('drawdownAction liquidate without a maxDrawdown for it to act at', () =>
    warned(
      GOOD.replace('"capital": "100000",', '"capital": "100000",\n  "risk": { "drawdownAction": "liquidate" },'),
      'line 5: risk.drawdownAction: has no effect: "liquidate" acts when a strategy\'s drawdown passes risk.maxDrawdown, which is not set; set it (e.g. 0.25), or remove drawdownAction',
    ));
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
