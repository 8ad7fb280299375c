#!/usr/bin/env node
// Entry point of the `stratafolio` binary: runs the compiled CLI (built by `npm ci` through `prepare`).
import { main } from '../dist/src/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`stratafolio: ${err instanceof Error ? err.message : String(err)}\n`); process.exitCode = 1; },
);
