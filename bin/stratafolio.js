#!/usr/bin/env node
// Entry point of the `stratafolio` binary: runs the compiled CLI (built by `npm ci` through `prepare`).
// Plain `env node`: `env -S` (to pass node a flag here) is missing from BusyBox, so Alpine images could not start it.
import { Console } from 'node:console';
import { main } from '../dist/src/cli/main.js';
import { standardOutputFailure } from '../dist/src/fileAccess.js';

// A reader that closes early (`stratafolio demo | head`) is not an error: stop writing and end quietly. Output that
// cannot be written (stdout sent to a full disk) fails the command with one line instead of a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    if (stream === process.stdout) process.stderr.write(`stratafolio: ${standardOutputFailure(err)}\n`);
    process.exit(1);
  });
}

// Stdout is the command's own output (with --json, one JSON object): whatever code it runs prints through console (a
// strategy module's tracing, console.dir and table included) goes to stderr instead. The CLI itself writes through its
// streams, not console.
globalThis.console = new Console({ stdout: process.stderr, stderr: process.stderr });

// Whether the command wrote anything to stdout: only then can a final flush fail it. A zero-byte write to a stdout
// that takes nothing (/dev/full) fails too, which would turn a command that printed nothing (export-bars --out, an
// exit-2 refusal) into a failed write.
let wroteStdout = false;
const writeStdout = process.stdout.write.bind(process.stdout);
process.stdout.write = (chunk, ...rest) => {
  if (chunk != null && chunk.length > 0) wroteStdout = true;
  return writeStdout(chunk, ...rest);
};

let settled = false;
// The event loop empties while the command still waits: something it awaited can never settle (a strategy module's
// load is bounded by a timer that keeps the process alive, so it is not one). That is a failed run, not a success.
process.on('beforeExit', () => {
  if (settled) return;
  settled = true;
  process.stderr.write('stratafolio: the command stopped before it finished: it was waiting for something that can never happen (a promise that can never settle)\n');
  process.exitCode = 1;
});

// The command is over once main settles: a strategy module may have left a timer or a socket behind, which must not
// keep the process alive. Both streams are flushed first.
function finish(code) {
  settled = true;
  process.exitCode = code;
  // The last output may have failed without its error event yet: its flush says so, and the command fails.
  const flushed = (err) => {
    const failed = err != null && err.code !== 'EPIPE';
    if (failed) process.stderr.write(`stratafolio: ${standardOutputFailure(err)}\n`);
    process.stderr.write('', () => process.exit(failed ? 1 : code));
  };
  if (wroteStdout) process.stdout.write('', flushed);
  else flushed(null);
}

main(process.argv).then(
  (code) => finish(code),
  (err) => { process.stderr.write(`stratafolio: ${err instanceof Error ? err.message : String(err)}\n`); finish(1); },
);
