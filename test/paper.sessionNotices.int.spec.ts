// What an operator watching a paper session sees happen to the portfolio besides its slices: a queued command applied
// or refused, and a strategy that faults, is paused or sold out. Each is one stderr line once its slice is durable
// (a refusal at once), so a session is not the one place a command's outcome cannot be read.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PAPER_CONFIG, startCli } from './fixtures/live/paperProcess.js';
import { minuteBars } from './fixtures/live/minuteBars.js';
import { runCli } from './fixtures/cliRun.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'paper-notices-'));
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

it('names each queued command it applies or refuses, with the bar time of its slice', async () => {
  const store = `sqlite:${join(dir, 'commands.db')}`;
  const first = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], minuteBars(0, 3));
  expect(await first.exited).toBe(0);
  // Queued while no session runs: the next run takes them at its first slice.
  expect((await runCli('command', '--store', store, 'pause', 'trend', '--reason', 'risk review')).code).toBe(3);
  expect((await runCli('command', '--store', store, 'remove', 'hold', '--keep-positions')).code).toBe(3);
  expect((await runCli('command', '--store', store, 'pause', 'trend')).code).toBe(3);

  const second = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], minuteBars(3, 5));
  expect(await second.exited, second.err()).toBe(0);
  const lines = second.err().split('\n').filter((l) => l.includes(' command 0'));
  expect(lines).toHaveLength(3);
  expect(lines[0]).toMatch(
    /^stratafolio: command 0000000002-[0-9a-f]{8} remove hold --keep-positions: refused: Strategy hold still holds [A-Z]+ [\d.]+(, [A-Z]+ [\d.]+)*: removing it without liquidation needs it flat; remove it with liquidation, which sells its positions and returns their value to the reserve, or pause it to keep them$/,
  );
  expect(lines[1]).toMatch(/^stratafolio: command 0000000001-[0-9a-f]{8} pause trend \(reason: risk review\): applied at the slice of 2024-03-01T00:03:00\.000Z$/);
  expect(lines[2]).toMatch(
    /^stratafolio: command 0000000003-[0-9a-f]{8} pause trend \(reason: paused by command\): applied at the slice of 2024-03-01T00:03:00\.000Z, changing nothing: trend was paused already$/,
  );
});

it('command names the refused command as it was given, --keep-positions included', async () => {
  const store = `sqlite:${join(dir, 'keep.db')}`;
  const session = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], minuteBars(0, 3), { keepStdinOpen: true });
  await session.linesOut(2);
  const pending = runCli('command', '--store', store, 'remove', 'hold', '--keep-positions');
  // The next slice takes it: fed once the command is queued, and the input ended after the answer.
  for (let i = 3; i < 60; i += 1) {
    session.child.stdin?.write(minuteBars(i, i + 1));
    const done = await Promise.race([pending.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 250))]);
    if (done) break;
  }
  const r = await pending;
  session.child.stdin?.end();
  expect(await session.exited).toBe(0);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/^stratafolio: the session refused remove hold --keep-positions: Strategy hold still holds [A-Z]+ [\d.]+/);
});

it('names a strategy that faults and what its fault policy did, at the slice that recorded it', async () => {
  const config = join(dir, 'faulty.json');
  writeFileSync(
    config,
    JSON.stringify({
      id: 'faulty',
      name: 'one strategy throws',
      baseCurrency: 'USDT',
      capital: '100000',
      strategies: [
        { id: 'hold', kind: 'buy-and-hold', allocation: '0.5', params: { symbols: ['BTCUSDT', 'ETHUSDT'] } },
        {
          id: 'boom',
          module: join(import.meta.dirname, 'fixtures', 'strategies', 'throwsOnBar.mjs'),
          export: 'throwsOnBar',
          allocation: '0.2',
          params: { bar: 2, symbols: ['BTCUSDT', 'ETHUSDT'] },
        },
      ],
      snapshotEvery: 0,
    }),
  );
  const run = startCli(['paper', '--config', config, '--feed', '-', '--store', `sqlite:${join(dir, 'faulty.db')}`, '--jit-warm-up', '0'], minuteBars(0, 4));
  expect(await run.exited, run.err()).toBe(0);
  const lines = run.err().split('\n').filter((l) => l.includes(' boom'));
  expect(lines).toEqual([
    'stratafolio: 2024-03-01T00:02:00.000Z: strategy boom fault: onBar: Error: boom on bar 2 (action: paused)',
    'stratafolio: 2024-03-01T00:02:00.000Z: strategy boom pause: fault: Error: boom on bar 2',
  ]);
});

it('--from on a portfolio that has slices already says it is not used: the session resumes after the last slice', async () => {
  const store = `sqlite:${join(dir, 'from.db')}`;
  const first = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0'], minuteBars(0, 2));
  expect(await first.exited).toBe(0);
  const again = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0', '--from', '2024-03-01T00:05:00Z'], minuteBars(2, 4));
  expect(await again.exited).toBe(0);
  const same = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', store, '--jit-warm-up', '0', '--from', '2024-03-01T00:00:00Z'], minuteBars(0, 3));
  expect(await same.exited).toBe(0);
  // The same command again, its --from at or before the last slice: nothing to say.
  expect(same.err()).not.toContain('--from');
  expect(again.err()).toContain(
    'stratafolio: warning: --from 2024-03-01T00:05:00.000Z is not used: portfolio "paper" has slices up to 2024-03-01T00:01:00.000Z already, and the session resumes after its last\n',
  );
});
