// The README runs: every stratafolio command in it, each transcript's shown output, and the library snippet.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..');
const bin = join(repoRoot, 'bin', 'stratafolio.js');
const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

// Inside the repository (runs/ is ignored), so that `import … from 'stratafolio'` resolves to this package.
mkdirSync(join(repoRoot, 'runs'), { recursive: true });
const cwd = mkdtempSync(join(repoRoot, 'runs', 'readme-'));
cpSync(join(repoRoot, 'examples'), join(cwd, 'examples'), { recursive: true });
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

interface Block {
  readonly lang: string;
  readonly body: string;
}

const blocks: Block[] = [...readme.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1] ?? '', body: m[2] ?? '' }));

/** A command a user would type, and the output lines the README shows after it (in a `$ ` transcript). */
interface Step {
  readonly args: string[];
  readonly shown: string[];
}

/** Words of a command line as a shell splits them (double quotes group; a trailing `# comment` is dropped). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.replace(/\s+#\s.*$/, '').matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? '');
  return out;
}

/**
 * Commands the README shows that this test does not run, each for a reason and each run by another test: they wait for
 * a signal, or need Binance's servers (the session and what reads its store).
 */
const NOT_RUN_HERE: readonly { readonly pattern: RegExp; readonly why: string }[] = [
  { pattern: /^serve /, why: 'serves until stopped: test/report.browser.e2e.spec.ts drives it in Chromium' },
  { pattern: /--feed binance:/, why: 'needs Binance: test/paper.binance.int.spec.ts runs it against local servers' },
  { pattern: /sqlite:\.\/runs\/paper\.db|runs\/paper-bars\.ndjson/, why: 'reads the Binance session: the paper tests run each against a local session' },
];

function steps(): Step[] {
  const out: Step[] = [];
  for (const block of blocks.filter((b) => b.lang === 'sh' || b.lang === 'bash' || b.lang === '')) {
    let current: Step | null = null;
    for (const line of block.body.split('\n')) {
      const command = /^(?:\$ )?npx stratafolio (.*)$/.exec(line);
      if (command) {
        current = { args: words(command[1] ?? ''), shown: [] };
        out.push(current);
      } else if (current && line.startsWith('$ ')) {
        current = null;
      } else if (current && line.trim() !== '' && line.trim() !== '…') {
        current.shown.push(line.trimEnd());
      }
    }
  }
  return out;
}

function stratafolio(args: readonly string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('README', () => {
  it('has the two commands of a fresh machine', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm test');
  });

  it('every stratafolio command in it runs, in order, after the demo; each transcript shows what the command prints', () => {
    // What `npm run demo` in the quick start leaves behind.
    expect(stratafolio(['demo']).code).toBe(0);
    const all = steps();
    const skipped = all.filter((step) => NOT_RUN_HERE.some((n) => n.pattern.test(step.args.join(' '))));
    // Only the commands listed above are left out: a new command in the README runs here unless it is listed.
    expect(skipped.map((step) => step.args[0])).toEqual(['serve', 'paper', 'replay', 'command', 'export-bars', 'backtest']);
    const run = all.filter((step) => !skipped.includes(step));
    expect(run.length).toBeGreaterThan(4);
    for (const step of run) {
      const r = stratafolio(step.args);
      expect({ command: step.args.join(' '), code: r.code, err: r.err }).toEqual({ command: step.args.join(' '), code: 0, err: '' });
      const printed = new Set(r.out.split('\n').map((l) => l.trimEnd()));
      expect({ command: step.args.join(' '), missing: step.shown.filter((l) => !printed.has(l)) }).toEqual({ command: step.args.join(' '), missing: [] });
    }
    // Every README command one after another: 35 s on a quiet 2-core machine, past the default minute when it is loaded.
  }, 240_000);

  it('the library snippet runs as written', () => {
    const snippets = blocks.filter((b) => b.lang === 'ts' && b.body.includes("from 'stratafolio'"));
    expect(snippets.length).toBeGreaterThan(0);
    snippets.forEach((snippet, i) => {
      const file = join(cwd, `snippet-${i}.mts`);
      writeFileSync(file, snippet.body);
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd, encoding: 'utf8' });
      expect({ snippet: i, code: r.status, err: r.stderr }).toEqual({ snippet: i, code: 0, err: '' });
    });
  });
});
