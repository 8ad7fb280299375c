// Usage errors the argument parser finds (an unknown command or flag, a flag without its value, a missing required
// flag or argument) are one line on stderr like every other error, naming what is wrong and what to do; exit 2.
import { describe, expect, it } from 'vitest';
import { runCli } from './fixtures/cliRun.js';

describe('usage errors', () => {
  it.each([
    [['replya'], "stratafolio: unknown command 'replya': did you mean replay? (stratafolio --help lists the commands)"],
    [['replay', '--store', 'memory:', '--as-off', '2024-01-01'], "stratafolio: unknown option '--as-off': did you mean --as-of? (stratafolio replay --help lists the options)"],
    [['replay', '--store', 'memory:', '--colour'], "stratafolio: unknown option '--colour' (stratafolio replay --help lists the options)"],
    [['backtest', '--bars', 'b.csv'], "stratafolio: required option '--config <file>' not specified (stratafolio backtest --help lists the options)"],
    [['backtest', '--config'], "stratafolio: option '--config <file>' argument missing (stratafolio backtest --help lists the options)"],
    [['command', '--store', 'memory:'], "stratafolio: missing required argument 'action' (stratafolio command --help lists the options)"],
    [['command', '--store', 'memory:', 'pause'], 'stratafolio: pause takes one strategy id, got 0 arguments'],
    [['command', '--store', 'memory:', 'rebalance'], 'stratafolio: rebalance takes strategy=weight pairs (e.g. trend=0.4 hold=0.3), got none'],
  ])('%j: one line, exit 2', async (args, line) => {
    const r = await runCli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${line}\n`);
  });
});

describe('flag values that name nothing, or a value out of range', () => {
  it.each([
    [['serve', '--store', 'memory:', '--host', ''], 'stratafolio: --host "" names no interface (an empty host binds every interface, exposing the page to the network): give one, e.g. 127.0.0.1 (the default), or 0.0.0.0 to expose it on purpose'],
    [['serve', '--store', 'memory:', '--host', ' '], 'stratafolio: --host " " names no interface (an empty host binds every interface, exposing the page to the network): give one, e.g. 127.0.0.1 (the default), or 0.0.0.0 to expose it on purpose'],
    [['demo', '--store', 'memory:', '--seed', '-1'], 'stratafolio: --seed must be an integer from 0 to 4294967295, got "-1"'],
  ])('%j: one line naming the flag, exit 2', async (args, line) => {
    const r = await runCli(...args);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${line}\n`);
  });
});
