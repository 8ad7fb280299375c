// The `stratafolio` command line: parses arguments, runs one subcommand, turns errors into one line on stderr and an exit code.
import { Command, CommanderError, Help, type Option } from 'commander';
import { processIO, type CliIO } from './output.js';
import { registerCommands } from './commands/index.js';
import { CODE_VERSION } from '../version.js';
import { EXIT_BAD_INPUT, exitCodeOf } from './exitCodes.js';

export { EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK } from './exitCodes.js';

/** Runs the CLI with `argv` (as process.argv) and returns the exit code; never throws. */
export async function main(argv: readonly string[], io: CliIO = processIO): Promise<number> {
  const program = new Command('stratafolio')
    .description('Event-sourced multi-strategy portfolio engine')
    .version(CODE_VERSION, '-V, --version', 'print the version recorded in every portfolio this build writes')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError(false)
    // Subcommands inherit this: every flag a command cannot run without says so in --help.
    .configureHelp({ optionDescription: requiredMarked });
  let exitCode = 0;
  registerCommands(program, io, (code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : EXIT_BAD_INPUT;
    }
    io.stderr.write(`stratafolio: ${describe(err)}\n`);
    return exitCodeOf(err);
  }
}

const plainHelp = new Help();

/** An option's help text, ending in "(required)" when the command cannot run without it. */
function requiredMarked(option: Option): string {
  const text = plainHelp.optionDescription(option);
  return option.mandatory ? `${text} (required)` : text;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
