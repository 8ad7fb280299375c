// The README's command table names every subcommand and every flag its --help lists, so no option goes undocumented.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..');
const bin = join(repoRoot, 'bin', 'stratafolio.js');
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

function help(...args: string[]): string {
  const r = spawnSync(process.execPath, [bin, ...args, '--help'], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  return r.stdout;
}

/** The flags an --help lists under Options, without --help itself. */
function flagsOf(text: string): string[] {
  const options = text.slice(text.indexOf('Options:'), text.indexOf('Commands:') >= 0 ? text.indexOf('Commands:') : undefined);
  return [...options.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1] ?? '').filter((f) => f !== '--help' && f !== '--version');
}

const commands = [...help().matchAll(/^ {2}([a-z][a-z-]*) /gm)].map((m) => m[1] ?? '').filter((c) => c !== 'help');

describe("README's command table", () => {
  it('lists the subcommands --help lists', () => {
    expect(commands.length).toBeGreaterThan(8);
    for (const command of commands) expect({ command, row: readme.includes(`| \`stratafolio ${command} `) }).toEqual({ command, row: true });
  });

  it.each(commands)('names every flag of %s', (command) => {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`stratafolio ${command} `)) ?? '';
    // allocate's row points to the flags listed under "Allocation and rebalancing".
    const documented = command === 'allocate' ? readme : row;
    const missing = flagsOf(help(command)).filter((flag) => !new RegExp(`${flag}(?![a-z-])`).test(documented));
    expect({ command, missing }).toEqual({ command, missing: [] });
  });
});
