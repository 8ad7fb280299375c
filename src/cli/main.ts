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
      // A usage error is written once, as one line like every other error, where it is caught below.
      outputError: () => {},
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
      if (err.exitCode === 0) return 0;
      if (err.code !== 'commander.help' && err.code !== 'commander.helpDisplayed') io.stderr.write(`stratafolio: ${usageLine(err, program, argv)}\n`);
      return EXIT_BAD_INPUT;
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

/**
 * Commander's message for a usage error (`error: unknown option '--as-off'` and `(Did you mean --as-of?)` on a line
 * of its own) as one line, with the help that lists what there is.
 */
function usageLine(err: CommanderError, program: Command, argv: readonly string[]): string {
  const text = err.message.replace(/^error: /, '').replace(/\s*\(Did you mean (.+)\?\)\s*$/s, ': did you mean $1?').replace(/\n/g, ' ');
  const command = program.commands.find((c) => c.name() === argv[2]);
  const help = command === undefined ? 'stratafolio --help lists the commands' : `stratafolio ${command.name()} --help lists the options`;
  return `${text} (${help})`;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
