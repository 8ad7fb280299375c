// Registers every subcommand; each lives in its own file and reports its exit code through `setExit`.
import type { Command } from 'commander';
import type { CliIO } from '../output.js';
import { registerAllocate } from './allocate.js';
import { registerBacktest } from './backtest.js';
import { registerDemo } from './demo.js';
import { registerReplay } from './replay.js';
import { registerAudit } from './audit.js';
import { registerPaper } from './paper.js';
import { registerExportBars } from './exportBars.js';
import { registerCommand } from './command.js';
import { registerReport } from './report.js';
import { registerServe } from './serve.js';
import { registerCopy } from './copy.js';

/** A subcommand's registration: adds itself to `program`, writes to `io`, and reports a non-zero exit through `setExit`. */
export type RegisterCommand = (program: Command, io: CliIO, setExit: (code: number) => void) => void;

const commands: RegisterCommand[] = [
  registerDemo,
  registerBacktest,
  registerAllocate,
  registerReplay,
  registerAudit,
  registerReport,
  registerServe,
  registerPaper,
  registerExportBars,
  registerCommand,
  registerCopy,
];

/** Adds all subcommands to the program. */
export function registerCommands(program: Command, io: CliIO, setExit: (code: number) => void): void {
  for (const register of commands) register(program, io, setExit);
}
