// What `npm pack` ships and how a program loads it: the engine, its declarations, the binary and the examples, none of
// the benchmarks or build state; and a CommonJS program's require('stratafolio') loads the same module an import does
// (build first: the package is dist/).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const repoRoot = join(import.meta.dirname, '..');
mkdirSync(join(repoRoot, 'runs'), { recursive: true });
// Inside the repository (runs/ is ignored), so that 'stratafolio' resolves to this package by its exports.
const dir = mkdtempSync(join(repoRoot, 'runs', 'package-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('ships the engine, its declarations, the binary and the examples, and no benchmark or build state', () => {
  const packed = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
  expect(packed.status, packed.stderr).toBe(0);
  const files = (JSON.parse(packed.stdout) as { files: { path: string }[] }[])[0]?.files.map((f) => f.path) ?? [];
  expect(files).toEqual(expect.arrayContaining(['bin/stratafolio.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'examples/prices.csv', 'README.md']));
  expect(files.filter((f) => f.startsWith('dist/bench/') || f.endsWith('.tsbuildinfo') || f.startsWith('test/'))).toEqual([]);
});

it("a CommonJS program's require('stratafolio') gets the module an import gets", () => {
  writeFileSync(
    join(dir, 'main.cjs'),
    `const { Portfolio, openEventStore } = require('stratafolio');
import('stratafolio').then((m) => console.log(JSON.stringify([m.Portfolio === Portfolio, m.openEventStore === openEventStore, typeof Portfolio.open])));`,
  );
  const run = spawnSync(process.execPath, ['main.cjs'], { cwd: dir, encoding: 'utf8' });
  expect(run.stderr).not.toMatch(/ERR_/);
  expect(run.stdout.trim()).toBe('[true,true,"function"]');
});
