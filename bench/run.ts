// `npm run bench`: runs every bench/*.bench.js module (or those named on the command line) and prints their figures as JSON.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A benchmark module's contract: a name and a run that resolves to JSON-safe figures. */
export interface BenchModule {
  readonly name: string;
  run(): Promise<Record<string, unknown>>;
}

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();
const results: Record<string, unknown> = {};
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as BenchModule;
  process.stderr.write(`bench: ${mod.name}…\n`);
  results[mod.name] = await mod.run();
}
process.stdout.write(`${JSON.stringify({ node: process.version, nodeFlags: process.execArgv, benchmarks: results }, null, 2)}\n`);
