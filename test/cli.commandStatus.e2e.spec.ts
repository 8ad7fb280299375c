// `command status`: what became of each command queued for a paper session (applied at which slice, refused and why,
// still queued), read afterwards from the store, when `command` did not wait for the answer. Through the built binary.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PAPER_CONFIG, startCli } from './fixtures/live/paperProcess.js';
import { runBin } from './fixtures/cliRun.js';
import { minuteBars } from './fixtures/live/minuteBars.js';
import { openEventStore } from '../events/openEventStore.js';
import { ANSWERS_KEPT, COMMANDS_COLLECTION, commandKey } from '../src/cli/queuedCommands.js';

let dir = '';
let store = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'command-status-'));
  store = `sqlite:${join(dir, 'paper.db')}`;
});
afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function paper(from: number, to: number, at = store): Promise<void> {
  const run = startCli(['paper', '--config', PAPER_CONFIG, '--feed', '-', '--store', at, '--jit-warm-up', '0'], minuteBars(from, to));
  expect(await run.exited, run.err()).toBe(0);
}

async function queue(...args: string[]): Promise<string> {
  const r = await runBin(['command', '--store', store, '--wait', '0s', '--json', ...args]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as { commandId: string }).commandId;
}

it('lists each command with its answer: still queued, then applied at its slice or refused with the reason', async () => {
  await paper(0, 3);
  const none = await runBin(['command', '--store', store, 'status']);
  expect({ code: none.code, out: none.out, err: none.err }).toEqual({ code: 0, out: 'no command was queued for portfolio "paper"\n', err: '' });

  const pause = await queue('pause', 'revert', '--reason', 'risk review');
  const remove = await queue('remove', 'hold', '--keep-positions');
  const queued = await runBin(['command', '--store', store, 'status']);
  expect(queued.err).toBe('');
  expect(queued.code).toBe(0);
  expect(queued.out).toBe(
    `command ${pause} pause revert (reason: risk review): queued; no paper session is running on portfolio "paper": the next \`stratafolio paper\` run applies it at its first slice\n` +
      `command ${remove} remove hold --keep-positions: queued; no paper session is running on portfolio "paper": the next \`stratafolio paper\` run applies it at its first slice\n`,
  );

  await paper(3, 5);
  const answered = await runBin(['command', '--store', store, 'status']);
  expect(answered.err).toBe('');
  expect(answered.code).toBe(0);
  const lines = answered.out.trim().split('\n');
  expect(lines[0]).toBe(`command ${pause} pause revert (reason: risk review): applied at the slice of 2024-03-01T00:03:00.000Z`);
  expect(lines[1]).toMatch(new RegExp(`^command ${remove} remove hold --keep-positions: refused: .*hold.*holds`));
  expect(lines).toHaveLength(2);

  const one = await runBin(['command', '--store', store, 'status', remove, '--json']);
  expect(one.code).toBe(0);
  expect(JSON.parse(one.out)).toMatchObject({
    commandId: remove,
    portfolioId: 'paper',
    command: { kind: 'remove', strategyId: 'hold', liquidate: false },
    result: { status: 'refused' },
    sessionRunning: false,
  });

  const waiting = await runBin(['command', '--store', store, 'status', '--wait', '5s']);
  expect({ code: waiting.code, err: waiting.err }).toEqual({ code: 2, err: 'stratafolio: --wait does not apply to status, which only reads the answers\n' });

  const unknown = await runBin(['command', '--store', store, 'status', '0000000009-nosuch']);
  expect(unknown.code).toBe(2);
  expect(unknown.err).toBe(`stratafolio: portfolio "paper" in ${store} has no command 0000000009-nosuch (its commands: ${pause}, ${remove})\n`);
});

it('keeps the answers of the last commands: status says what became of a pruned one, and a new command is numbered after every earlier one', async () => {
  const at = `sqlite:${join(dir, 'pruned.db')}`;
  await paper(0, 3, at);
  // Two more commands than are kept, queued while no session runs and answered together at the next run's first slice.
  const ids = Array.from({ length: ANSWERS_KEPT + 2 }, (_, i) => `${String(i + 1).padStart(10, '0')}-0000abcd`);
  const applied = ids[0] as string;
  const refused = ids[1] as string;
  const s = await openEventStore(at);
  try {
    await s.documents.put(COMMANDS_COLLECTION, commandKey('paper', applied), JSON.stringify({ kind: 'pause', strategyId: 'revert', reason: 'risk review' }));
    await s.documents.put(COMMANDS_COLLECTION, commandKey('paper', refused), JSON.stringify({ kind: 'remove', strategyId: 'hold', liquidate: false }));
    for (const [i, id] of ids.slice(2).entries()) {
      await s.documents.put(COMMANDS_COLLECTION, commandKey('paper', id), JSON.stringify({ kind: i % 2 === 0 ? 'resume' : 'pause', strategyId: 'trend', reason: 'r' }));
    }
  } finally {
    await s.close();
  }
  await paper(3, 5, at);

  const all = await runBin(['command', '--store', at, 'status']);
  expect(all.code).toBe(0);
  const lines = all.out.trim().split('\n');
  expect(lines).toHaveLength(ANSWERS_KEPT + 1);
  expect(lines[0]).toBe(
    `the answers of 2 earlier commands (up to ${refused}) were pruned: the answers of the last ${ANSWERS_KEPT} commands are kept (\`status <command id>\` finds an applied one in the feed record)`,
  );
  expect(lines[1]).toMatch(new RegExp(`^command ${ids[2] as string} resume trend`));

  const one = await runBin(['command', '--store', at, 'status', applied]);
  expect({ code: one.code, out: one.out, err: one.err }).toEqual({
    code: 0,
    out: `command ${applied} pause revert (reason: risk review): applied at the slice of 2024-03-01T00:03:00.000Z (read from the feed record: its answer was pruned)\n`,
    err: '',
  });
  const other = await runBin(['command', '--store', at, 'status', refused]);
  expect({ code: other.code, out: other.out, err: other.err }).toEqual({
    code: 0,
    out: `command ${refused}: refused; its answer, with what it said and why, was pruned (the answers of the last ${ANSWERS_KEPT} commands are kept), and the feed record holds only the commands applied\n`,
    err: '',
  });
  const json = await runBin(['command', '--store', at, 'status', applied, '--json']);
  expect(JSON.parse(json.out)).toEqual({
    commandId: applied,
    portfolioId: 'paper',
    command: { kind: 'pause', strategyId: 'revert', reason: 'risk review' },
    result: { status: 'pruned', at: '2024-03-01T00:03:00.000Z' },
    sessionRunning: false,
  });

  const next = await runBin(['command', '--store', at, '--wait', '0s', '--json', 'pause', 'trend']);
  expect(next.code).toBe(0);
  expect((JSON.parse(next.out) as { commandId: string }).commandId).toMatch(new RegExp(`^${String(ANSWERS_KEPT + 3).padStart(10, '0')}-`));
});
