// The engine reads time only from bars and uses no unseeded randomness: the clock, timers and Math.random stay out of
// src/ and actors/, and domain code imports neither XState, RxJS nor a store.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Lines of code (comments stripped) that match `pattern`, as `file:line`. */
function offenders(files: readonly string[], pattern: RegExp): string[] {
  return files.flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .map((line, i) => ({ code: line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, ''), at: `${relative(root, file)}:${i + 1}` }))
      .filter(({ code }) => pattern.test(code))
      .map(({ at }) => at),
  );
}

/** The one edge file that reads the wall clock, sets timers and draws jitter for live feeds. */
const WALL_CLOCK = join(root, 'src', 'feeds', 'wallClock.ts');

describe('determinism of the engine’s sources', () => {
  const engine = [...sources(join(root, 'src')), ...sources(join(root, 'actors'))].filter((f) => f !== WALL_CLOCK);

  it('never read the wall clock, set timers or draw unseeded random numbers', () => {
    expect(offenders(engine, /Date\.now\s*\(|new Date\s*\(\s*\)|Math\.random\s*\(|performance\.now\s*\(|set(Timeout|Interval|Immediate)\s*\(/)).toEqual([]);
  });

  it('reach the wall clock only from the CLI (which hands it to the feeds at the edge), never from the engine', () => {
    const engineOnly = engine.filter((f) => !relative(root, f).startsWith('src/cli/'));
    expect(offenders(engineOnly, /wallClock/)).toEqual([]);
  });

  it('keep XState, RxJS and the stores out of the domain code in src/ (the CLI wires them together)', () => {
    const domain = sources(join(root, 'src')).filter((f) => !relative(root, f).startsWith('src/cli/'));
    expect(offenders(domain, /from\s+'(xstate|rxjs|better-sqlite3)'|events\/(adapters|openEventStore)/)).toEqual([]);
  });
});
