// docs/optimiser.md's `allocate` examples run from a checkout (or the installed package, which ships examples/) and
// print what the page shows.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..');
const bin = join(repoRoot, 'bin', 'stratafolio.js');
const page = readFileSync(join(repoRoot, 'docs', 'optimiser.md'), 'utf8');

function stratafolio(args: readonly string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The arguments of a command as the page writes it: `stratafolio` dropped, `\` line continuations joined. */
function argsOf(command: string): string[] {
  return command.replace(/\\\n\s*/g, ' ').trim().split(/\s+/).slice(1);
}

describe('docs/optimiser.md', () => {
  it('the allocate transcript runs on a file the package ships and prints the table it shows', () => {
    const transcript = /^\$ (stratafolio allocate[^\n]*\\\n[^\n]*)\n([\s\S]*?)^```$/m.exec(page);
    expect(transcript).not.toBeNull();
    const args = argsOf(transcript?.[1] ?? '');
    expect(args[args.indexOf('--candidates') + 1]).toMatch(/^examples\//);
    const r = stratafolio(args);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(r.out).toBe(transcript?.[2]);
  });

  it('the --json example is what the command it names prints', () => {
    const named = /`(stratafolio allocate [^`]*--json)`/.exec(page);
    expect(named).not.toBeNull();
    const shown = /```json\n([\s\S]*?)^```$/m.exec(page)?.[1] ?? '';
    const r = stratafolio(argsOf(named?.[1] ?? ''));
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.out) as { allocations: unknown[] } & Record<string, unknown>;
    // The page leaves out the allocations after the first: compare what it shows.
    const example = JSON.parse(shown.replace(/,\n\s*…\n/, '\n')) as { allocations: unknown[] } & Record<string, unknown>;
    expect({ ...printed, allocations: printed.allocations.slice(0, example.allocations.length) }).toEqual(example);
  });
});
